/** Reading files the user picked (File API only; the renderer has no file system access). */
export async function readBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

export async function readText(file: File): Promise<string> {
  return file.text();
}
