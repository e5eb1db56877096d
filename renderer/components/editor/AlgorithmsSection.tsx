/** Algorithm overrides (SPEC §2), collapsed by default: custom proposals, PFS, lifetimes, legacy switch. */
import { DEFAULT_PHASE1, DEFAULT_PHASE2, DH_GROUPS, isLegacyGroup } from '../../../core/profile/algorithms';
import { SelectField, SwitchField, TextAreaField, TextField } from '../ui/Field';
import { bindSwitch, bindText, type EditorBindings } from './bindings';

export function AlgorithmsSection({ b }: { b: EditorBindings }) {
  const hasCustom = b.form.phase1.trim() !== '' || b.form.phase2.trim() !== '';
  const open = hasCustom || b.form.legacy || b.form.pfsGroup !== '' || b.form.onlyTheseProposals;
  const forbidLegacy = b.policy.forbidLegacy;
  return (
    <details className="form-section advanced" open={open}>
      <summary className="section-summary">Algorithms (advanced)</summary>
      <p className="field-help">
        Leave the lists empty to offer Ferry’s defaults, which suit almost every server.
      </p>
      <div className="grid-2">
        <TextAreaField
          {...bindText(b, 'phase1')}
          label="IKE phase 1 proposals"
          placeholder={DEFAULT_PHASE1.join('\n')}
          help="cipher-prf-group, one per line, e.g. aes256-sha256-modp2048"
          rows={4}
        />
        <TextAreaField
          {...bindText(b, 'phase2')}
          label="ESP phase 2 proposals"
          placeholder={DEFAULT_PHASE2.join('\n')}
          help="cipher-integrity or AES-GCM alone, e.g. aes256gcm16"
          rows={4}
        />
      </div>
      <SwitchField
        {...bindSwitch(b, 'onlyTheseProposals')}
        label="Send only these proposals"
        help="For servers that reject long proposal lists. Defaults are not appended."
      />
      <div className="grid-3">
        <SelectField
          id="pfsGroup"
          label="Perfect forward secrecy"
          value={b.form.pfsGroup}
          disabled={b.disabled}
          error={b.error('pfsGroup')}
          onChange={(v) => {
            b.set('pfsGroup', v as typeof b.form.pfsGroup);
            b.touch('pfsGroup');
          }}
          options={[
            { value: '', label: 'Off' },
            ...DH_GROUPS.map((g) => ({ value: g, label: isLegacyGroup(g) ? `${g} (legacy)` : g })),
          ]}
        />
        <TextField {...bindText(b, 'phase1Lifetime')} label="Phase 1 lifetime (s)" inputMode="numeric" />
        <TextField {...bindText(b, 'phase2Lifetime')} label="Phase 2 lifetime (s)" inputMode="numeric" />
      </div>
      <SwitchField
        {...bindSwitch(b, 'legacy')}
        tone="danger"
        disabled={b.disabled || (forbidLegacy && !b.form.legacy)}
        label="Legacy compatibility (3DES, MODP-1024, MD5)"
        help={
          forbidLegacy
            ? 'Your organisation does not allow legacy algorithms.'
            : 'Off unless an old server needs it.'
        }
      />
    </details>
  );
}
