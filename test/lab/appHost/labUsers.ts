/**
 * Extra SoftEther users for app tests, created in the running lab's hub through the lab's vpncmd wrapper, e.g. an
 * MFA user whose password is literally `<password><separator><code>` (what a server behind an OTP-appending
 * RADIUS setup checks).
 */
import { type SoftEtherInfo, vpncmdCheck } from '../softether';

/** vpncmd splits on spaces and treats quotes and `/` specially: printable ASCII without those. */
const VPNCMD_SAFE = /^[\x21\x23-\x2e\x30-\x7e]{1,255}$/;

export async function addLabUser(lab: SoftEtherInfo, username: string, password: string): Promise<void> {
  if (!/^[a-z][a-z0-9._-]{0,62}$/.test(username)) throw new Error(`lab user: bad user name ${username}`);
  if (!VPNCMD_SAFE.test(password))
    throw new Error('lab user: the password must be printable ASCII without spaces, quotes or "/"');
  await vpncmdCheck(
    [
      `UserCreate ${username} /GROUP:none /REALNAME:none /NOTE:none`,
      `UserPasswordSet ${username} /PASSWORD:${password}`,
    ],
    { hub: lab.hub },
  );
}
