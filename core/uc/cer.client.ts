/**
 * Emergency Responder (DOMAIN §4): no licensing API. The admin servlet is driven as a browser
 * would: `POST /ceradmin/servlet/CERAdminServlet` with the login form sets a session cookie
 * (`JSESSIONID`); the same servlet with the `licRegistration` form, and that cookie,
 * registers with a token. The answer is an HTML page that does not say whether it worked
 * ("CER has no validation mechanism"), so registration is confirmed by CSSM's device list,
 * not here. There is no status call, and no documented form for deregistration, renewals or
 * transport: this client offers registration only.
 */
import type { HttpResponse } from '../cssm/http.ts';
import { SmartlicError } from '../errors.ts';
import { ucAnswerError, ucShapeError } from './uc-errors.ts';
import { UcClientBase, ucErrorMessage } from './uc-base.ts';

export const CER_SERVLET = '/ceradmin/servlet/CERAdminServlet';

/** The two forms the public client posts (DOMAIN §4), field names exact. */
export function cerLoginForm(user: string, password: string): string {
  return new URLSearchParams({
    formname: 'login',
    actionname: 'Login',
    name: user,
    passwd: password,
  }).toString();
}

export function cerRegisterForm(token: string): string {
  return new URLSearchParams({
    formname: 'licRegistration',
    hiddenaction: 'registerLic',
    regToken: token,
    forceRegister: 'forceRegisterEnabled',
  }).toString();
}

/** `JSESSIONID=…` from the Set-Cookie headers of an answer. */
export function sessionCookie(res: HttpResponse): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const c of list) {
    const m = /^\s*JSESSIONID=([^;\s]+)/i.exec(c);
    if (m) return `JSESSIONID=${m[1]}`;
  }
  return undefined;
}

/** A page that still asks for the password: the session is not signed in [design]. */
function isLoginPage(html: string): boolean {
  return /name=["']?passwd\b/i.test(html);
}

export class CerFormClient extends UcClientBase {
  readonly app = 'CER' as const;
  readonly statusSource = 'cssm-device-list' as const;

  /**
   * Signs in and posts the registration form. The public client always sends
   * `forceRegister=forceRegisterEnabled`, so a registered CER re-registers with the new token
   * whatever `force` says.
   */
  async register(token: string, _force: boolean): Promise<void> {
    const cookie = await this.login();
    const res = await this.send(
      'register',
      'POST',
      CER_SERVLET,
      {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        cookie,
      },
      cerRegisterForm(token),
    );
    if (res.status >= 300) {
      throw ucAnswerError(res.status, ucErrorMessage(res.text), this.ctx('register', res));
    }
    if (isLoginPage(res.text)) {
      throw ucShapeError(
        this.ctx('register', res),
        'the servlet answered with its login page: the session was not accepted',
      );
    }
  }

  async checkLogin(): Promise<void> {
    await this.login();
  }

  private async login(): Promise<string> {
    const res = await this.send(
      'login',
      'POST',
      CER_SERVLET,
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      cerLoginForm(this.o.username, this.o.password),
    );
    if (res.status >= 300) {
      throw ucAnswerError(res.status, ucErrorMessage(res.text), this.ctx('login', res));
    }
    const cookie = sessionCookie(res);
    if (!cookie || isLoginPage(res.text)) {
      throw new SmartlicError({
        code: 'UC1011',
        message: `Emergency Responder at ${this.host} did not sign smartlic's administrator in${cookie ? '' : ' (no session cookie)'}.`,
        action: "Check the cluster's administrator user name and password.",
        details: { app: 'CER', op: 'login', host: this.host, reason: 'bad-credentials' },
      });
    }
    return cookie;
  }
}
