// Real: the emulator over loopback HTTP (CUCM AXL, CUC vmrest, CER admin servlet and
// cerappservices). Faked: nothing. Covers emulator/api/uc.ts against references nobody here
// wrote: each answer is read the way public clients read the real products (DOMAIN §4) —
// by position where they read by position — with parsers written in this file from those
// references, not with smartlic's own clients (core/uc). The AXL element sequences below are
// written down from Cisco's public AXL schema as DOMAIN §4 gives them (Cisco's schema files are
// not copied into the repository).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SA1,
  axl,
  basic,
  cloudToken,
  cluster,
  mintCloudToken,
  start,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
let tok: string;
beforeAll(async () => {
  emu = await start();
  tok = await cloudToken(emu);
});
afterAll(async () => emu.close());

// ---- a minimal XML reader, as ElementTree / xmltodict see a document ----------------------

interface El {
  /** Local name (prefix dropped), as the public parsers match it after stripping namespaces. */
  name: string;
  /** Qualified name as written (`soapenv:Body`), as xmltodict keys it. */
  qname: string;
  children: El[];
  text: string;
}

function parse(xml: string): El {
  const src = xml.replace(/^<\?xml[^>]*\?>/, '');
  const root: El = { name: '#doc', qname: '#doc', children: [], text: '' };
  const stack: El[] = [root];
  const re = /<(\/)?([\w:.-]+)([^>]*?)(\/)?>|([^<]+)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.text += m[5]
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&');
      continue;
    }
    if (m[1]) {
      if (top.qname !== m[2]) throw new Error(`</${m[2]}> closes <${top.qname}>`);
      stack.pop();
      continue;
    }
    const el: El = { name: m[2]!.replace(/^[\w-]+:/, ''), qname: m[2]!, children: [], text: '' };
    top.children.push(el);
    if (!m[4]) stack.push(el);
  }
  if (stack.length !== 1) throw new Error('unclosed element');
  return root.children[0]!;
}

/** `ET.fromstring(text)[i][j]…`: children by position only. */
function at(el: El, ...path: number[]): El {
  let cur = el;
  for (const i of path) {
    const next = cur.children[i];
    if (!next) throw new Error(`IndexError: <${cur.qname}> has no child ${i}`);
    cur = next;
  }
  return cur;
}

/** xmltodict's view: `d['a']['b']` by qualified name; repeated children become a list. */
function dict(el: El): unknown {
  if (el.children.length === 0) return el.text;
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    const v = dict(c);
    const prev = out[c.qname];
    out[c.qname] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

// ---- the AXL schema's sequences (DOMAIN §4, from Cisco's public AXL schema) ----------------

/**
 * Child sequences, in order. `*` marks an element that may repeat. An element named here must
 * have exactly these children in this order (optional ones may be left out); an element not
 * named here must be text only. Every sequence is closed: an element not listed is an error.
 */
const SEQUENCES: Record<string, readonly string[]> = {
  Envelope: ['Body'],
  Body: [], // filled per answer: the one response element or Fault
  getSmartLicenseStatusResponse: ['LicenseDetails'],
  LicenseDetails: ['SmartLicensing', 'Registration', 'Authorization', 'LicenseStatus'],
  Registration: [
    'Status',
    'SmartAccount',
    'VirtualAccount',
    'LastRenewalAttempt',
    'NextRenewalAttempt',
    'LastRenewalStatus',
    'RegistrationFailedReason',
    'RegistrationExpires',
    'ProductUDI',
    'ExportControlFunctionality',
  ],
  Authorization: [
    'Status',
    'LastCommunicationAttempt',
    'NextCommunicationAttempt',
    'LastCommunicationStatus',
    'AuthorizationFailedReason',
    'AuthorizationExpires',
    'EvaluationPeriodRemaining',
  ],
  LicenseStatus: ['Entitlement*'],
  Entitlement: ['Tag', 'Count', 'Status'],
  getTransportSettingsResponse: ['return', 'TransportSettings'],
  TransportSettings: ['transportmode', 'transportUrl', 'httpHost', 'httpPort'],
  Fault: ['faultcode', 'faultstring', 'detail'],
  detail: ['axlError'],
  axlError: ['axlcode', 'axlmessage', 'request'],
};
for (const op of [
  'doSmartLicenseRegister',
  'doSmartLicenseReRegister',
  'doSmartLicenseDeRegister',
  'doSmartLicenseRenewAuthorization',
  'doSmartLicenseRenewRegistration',
  'doUpdateTransportSettings',
]) {
  SEQUENCES[`${op}Response`] = ['return'];
}

/** Every place where `el`'s subtree breaks the schema's sequences. */
function orderProblems(el: El, path = el.name): string[] {
  const seq = el.name === 'Body' ? el.children.slice(0, 1).map((c) => c.name) : SEQUENCES[el.name];
  if (!seq) {
    return el.children.length === 0
      ? []
      : [`${path}: text expected, got <${el.children.map((c) => c.name).join('>, <')}>`];
  }
  const out: string[] = [];
  if (el.name === 'Body' && el.children.length !== 1)
    out.push(`${path}: ${el.children.length} children, expected 1`);
  let last = -1;
  for (const c of el.children) {
    const i = seq.findIndex((s) => s.replace(/\*$/, '') === c.name);
    if (i === -1) out.push(`${path}: <${c.name}> is not in the sequence (${seq.join(', ')})`);
    else if (i < last || (i === last && !seq[i]!.endsWith('*')))
      out.push(`${path}: <${c.name}> out of order`);
    else last = i;
    out.push(...orderProblems(c, `${path}/${c.name}`));
  }
  return out;
}

// ---- CUCM ----------------------------------------------------------------------------------

describe('CUCM getSmartLicenseStatus, read as the public clients read it', () => {
  it('the Ansible module: Body → Response → first child → Registration → Status, by position', async () => {
    for (const name of ['acme-cucm-01', 'globex-cucm-02', 'stark-cucm-01', 'hooli-cucm-01']) {
      const c = await cluster(emu, name);
      const r = await axl(c, 'getSmartLicenseStatus');
      expect(r.status).toBe(200);
      // ET.fromstring(text)[0][0][0][1][0].text
      const status = at(parse(r.text), 0, 0, 0, 1, 0);
      expect(status.name).toBe('Status');
      expect(status.text).toBe(c.registration.status);
    }
  });

  it('the public AXL wrapper: …Response goes straight to LicenseDetails (no <return>)', async () => {
    const c = await cluster(emu, 'acme-cucm-02');
    const d = dict(parse((await axl(c, 'getSmartLicenseStatus')).text)) as Json;
    const resp = d['soapenv:Body']['ns:getSmartLicenseStatusResponse'];
    expect(Object.keys(resp)).toEqual(['LicenseDetails']);
    expect(resp.LicenseDetails.Registration.VirtualAccount).toBe('va-acme');
  });

  it('the public PLM script: an Enterprise-mode CUCM lists Entitlement[0..4] as CUWL, Enhanced Plus, Enhanced, Basic, Essential', async () => {
    for (const name of ['acme-cucm-01', 'acme-cucm-02']) {
      const c = await cluster(emu, name);
      expect(c.licenseMode).toBe('Enterprise');
      const d = dict(parse((await axl(c, 'getSmartLicenseStatus')).text)) as Json;
      const lic = d['soapenv:Body']['ns:getSmartLicenseStatusResponse'].LicenseDetails;
      const usage = lic.LicenseStatus.Entitlement as Json[];
      // CUWL_usage = lic_usage[0]['Count'] … Ess_usage = lic_usage[4]['Count']
      const byPosition = [0, 1, 2, 3, 4].map((i) => Number(usage[i].Count));
      const demand = (t: string) => Number(c.demand[t] ?? 0);
      expect(byPosition).toEqual([
        demand('UCM_CUWL'),
        demand('UCM_EnhancedPlus'),
        demand('UCM_Enhanced'),
        demand('UCM_Basic'),
        demand('UCM_Essential'),
      ]);
      expect(usage.slice(0, 5).map((e) => /\.cisco\.([^,]+),/.exec(e.Tag)![1])).toEqual([
        'UCM_CUWL',
        'UCM_EnhancedPlus',
        'UCM_Enhanced',
        'UCM_Basic',
        'UCM_Essential',
      ]);
      // A tier not asked for is listed with 0, not yet requested.
      for (const e of usage.slice(0, 5)) if (e.Count === '0') expect(e.Status).toBe('Init');
    }
  });

  it('every value is a string (the schema types them so); no mode element', async () => {
    const c = await cluster(emu, 'globex-cucm-01');
    const root = parse((await axl(c, 'getSmartLicenseStatus')).text);
    const ld = at(root, 0, 0, 0);
    expect(ld.children.map((x) => x.name)).toEqual([
      'SmartLicensing',
      'Registration',
      'Authorization',
      'LicenseStatus',
    ]);
    expect(Number.isInteger(Number(at(ld, 2, 6).text))).toBe(true); // EvaluationPeriodRemaining
  });
});

describe('every AXL answer follows the schema sequences', () => {
  it('status, transport, register, renewals, deregister and faults', async () => {
    const answers: { what: string; text: string }[] = [];
    const keep = async (what: string, c: Json, op: string, inner = '') => {
      const r = await axl(c, op, inner);
      answers.push({ what: `${c.name} ${op} (${r.status})`, text: r.text });
      return r;
    };
    for (const name of ['acme-cucm-01', 'globex-cucm-01', 'stark-cucm-01', 'initech-cucm-02'])
      await keep('status', await cluster(emu, name), 'getSmartLicenseStatus');
    const c = await cluster(emu, 'stark-cucm-01'); // 15.0, unregistered
    await keep('transport', c, 'getTransportSettings');
    const proxy =
      '<transportMode>2</transportMode><url></url><httpHost>proxy.example</httpHost><httpPort>3128</httpPort>';
    expect((await keep('set', c, 'doUpdateTransportSettings', proxy)).status).toBe(200);
    await keep('transport', c, 'getTransportSettings');
    await keep(
      'set back',
      c,
      'doUpdateTransportSettings',
      '<transportMode>0</transportMode><url></url><httpHost></httpHost><httpPort></httpPort>',
    );
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    expect(
      (
        await keep(
          'register',
          c,
          'doSmartLicenseRegister',
          `<token>${token}</token><force>false</force>`,
        )
      ).status,
    ).toBe(200);
    await keep('again', c, 'doSmartLicenseRegister', `<token>${token}</token><force>false</force>`);
    await keep('re', c, 'doSmartLicenseReRegister', `<token>${token}</token>`);
    await keep('auth', c, 'doSmartLicenseRenewAuthorization');
    await keep('id', c, 'doSmartLicenseRenewRegistration');
    await keep('status', await cluster(emu, c.name), 'getSmartLicenseStatus');
    await keep('dereg', c, 'doSmartLicenseDeRegister');
    await keep('dereg twice', c, 'doSmartLicenseDeRegister');
    await keep('missing', c, 'doSmartLicenseRegister', '<token>x</token>');
    await keep('bad token', c, 'doSmartLicenseRegister', '<token>x</token><force>true</force>');
    await keep('unknown op', c, 'updateSmartLicenseMode', '<mode>HCS</mode>');
    let faults = 0;
    for (const a of answers) {
      const root = parse(a.text);
      expect(root.name, a.what).toBe('Envelope');
      expect(orderProblems(root), a.what).toEqual([]);
      const fault = at(root, 0, 0);
      if (fault.name === 'Fault') {
        faults++;
        // axlcode is an integer, as the schema types it; the reason is in axlmessage.
        const code = at(fault, 2, 0, 0).text;
        expect(code, a.what).toMatch(/^-?\d+$/);
        expect(at(fault, 2, 0, 1).text.length, a.what).toBeGreaterThan(0);
      }
    }
    expect(faults).toBe(5);
  });

  it('12.5 accepts the optional proxy-authentication elements of doUpdateTransportSettings', async () => {
    const c = await cluster(emu, 'initech-cucm-02'); // 12.5, registered: refused for that only
    await axl(c, 'doSmartLicenseDeRegister', '', undefined, '12.5');
    const r = await axl(
      c,
      'doUpdateTransportSettings',
      '<transportMode>0</transportMode><url></url><httpHost></httpHost><httpPort></httpPort><enableProxyAuthentication>false</enableProxyAuthentication><proxyUserName></proxyUserName><proxyPassword></proxyPassword>',
      undefined,
      '12.5',
    );
    expect(r.status).toBe(200);
    expect(orderProblems(parse(r.text))).toEqual([]);
  });
});

// ---- Unity Connection -----------------------------------------------------------------------

describe('Unity Connection, read as the public clients read it', () => {
  const h = (c: Json) => ({
    authorization: basic(c),
    accept: 'application/json',
    'content-type': 'application/json',
  });

  it("json.loads(text)['Register']['Status'], and every successful PUT answers exactly 200", async () => {
    const c = await cluster(emu, 'stark-cuc-01');
    const url = (p: string) => `${c.baseUrl}/vmrest/smartlicense/${p}`;
    const status = async () =>
      ((await (await fetch(url('licensedetails'), { headers: h(c) })).json()) as Json).Register
        .Status as string;
    expect(await status()).toBe('Registered');
    for (const p of ['renewAuth', 'renewID', 'deregister']) {
      const r = await fetch(url(p), { method: 'PUT', headers: h(c) });
      expect([p, r.status]).toEqual([p, 200]);
    }
    expect(await status()).toBe('Unregistered');
    const t = await fetch(url('transportsettings'), {
      method: 'PUT',
      headers: h(c),
      body: JSON.stringify({
        transportMode: '0',
        transportUrl: '',
        httpHost: '',
        httpPort: '',
        isProxyAuthReq: 'false',
        httpProxyUser: '',
        httpProxyPasswd: '',
      }),
    });
    expect(t.status).toBe(200);
    // The public module sends force as a JSON boolean.
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const reg = await fetch(url('register'), {
      method: 'PUT',
      headers: h(c),
      body: JSON.stringify({ token, force: true }),
    });
    expect(reg.status).toBe(200);
    expect(await status()).toBe('Registered');
  });

  it('the CUPI sample fields, HCS tags for an HCS-mode product', async () => {
    const c = await cluster(emu, 'hooli-cuc-01');
    const d = (await (
      await fetch(`${c.baseUrl}/vmrest/smartlicense/licensedetails`, { headers: h(c) })
    ).json()) as Json;
    expect(Object.keys(d.Register)).toEqual([
      'Status',
      'SmartAccount',
      'VirtualAccount',
      'LastRenewalAttempt',
      'NextRenewalAttempt',
      'LastRegistrationSuccessTime',
      'ProductUDI',
      'ExportControlFunctionality',
    ]);
    for (const e of d.LicenseUsage.EntitlementTag as Json[]) expect(e.Id).toMatch(/\.cisco\.HCUC_/);
  });
});

// ---- Emergency Responder ---------------------------------------------------------------------

/** A cookie jar as python-requests and browsers keep one (RFC 6265 path-match, Secure). */
class CookieJar {
  private cookies: { name: string; value: string; path: string; secure: boolean }[] = [];
  take(url: string, res: Response): void {
    const u = new URL(url);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const [name, value] = [
        pair!.slice(0, pair!.indexOf('=')),
        pair!.slice(pair!.indexOf('=') + 1),
      ];
      const path =
        (attrs.find((a) => /^path=/i.test(a))?.slice(5) ??
          u.pathname.slice(0, u.pathname.lastIndexOf('/'))) ||
        '/';
      const secure = attrs.some((a) => /^secure$/i.test(a));
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      this.cookies.push({ name, value, path, secure });
    }
  }
  header(url: string): string | undefined {
    const u = new URL(url);
    const sent = this.cookies.filter(
      (c) =>
        (!c.secure || u.protocol === 'https:') &&
        (u.pathname === c.path ||
          (u.pathname.startsWith(c.path) &&
            (c.path.endsWith('/') || u.pathname[c.path.length] === '/'))),
    );
    return sent.length ? sent.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
  async post(url: string, form: Record<string, string>): Promise<Response> {
    const cookie = this.header(url);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
    this.take(url, res);
    return res;
  }
}

describe('Emergency Responder, driven as the public Ansible module drives it', () => {
  it('checks credentials with authenticate/status/<user>/<sha256 of the password>', async () => {
    const c = await cluster(emu, 'hooli-cer-01');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const url = (user: string, hash: string) =>
      `${c.baseUrl}/cerappservices/export/authenticate/status/${encodeURIComponent(user)}/${hash}`;
    const ok = await fetch(url(c.credentials.username, sha(c.credentials.password)), {
      headers: { authorization: basic(c) },
    });
    expect(ok.status).toBe(200);
    const wrong = await fetch(url(c.credentials.username, sha('wrong')));
    expect(wrong.status).not.toBe(200);
    const nobody = await fetch(url('nobody', sha(c.credentials.password)));
    expect(nobody.status).not.toBe(200);
  });

  it('a cookie-jar session signs in and registers with the two forms', async () => {
    const c = await cluster(emu, 'stark-cer-01');
    const servlet = `${c.baseUrl}/ceradmin/servlet/CERAdminServlet`;
    const jar = new CookieJar();
    const login = await jar.post(servlet, {
      formname: 'login',
      actionname: 'Login',
      name: c.credentials.username,
      passwd: c.credentials.password,
    });
    expect(login.status).toBe(200);
    // The jar sends the session back on the next form of this node, and to no other node.
    expect(jar.header(servlet)).toMatch(/^JSESSIONID=/);
    const other = await cluster(emu, 'hooli-cer-01');
    expect(jar.header(`${other.baseUrl}/ceradmin/servlet/CERAdminServlet`)).toBeUndefined();
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const reg = await jar.post(servlet, {
      formname: 'licRegistration',
      hiddenaction: 'registerLic',
      regToken: token,
      forceRegister: 'forceRegisterEnabled',
    });
    expect(reg.status).toBe(200);
    expect(await reg.text()).not.toContain('name="passwd"');
    const after = await cluster(emu, c.name);
    expect(after.registration.status).toBe('Registered');
    expect(after.pool.virtualAccount).toBe('va-hcs-operational');
  });
});
