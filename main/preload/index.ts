/**
 * The preload of Ferry's window (sandboxed, context-isolated, so bundled to CommonJS by main/app/build.ts, which
 * also replaces core/api/ipc with its names only: zod is not loaded here). Everything else is in expose.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeFerryApi } from './expose';

exposeFerryApi({ contextBridge, ipcRenderer });
