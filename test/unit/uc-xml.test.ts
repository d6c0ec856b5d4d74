// Real: core/uc/xml.ts (the small XML reader) and the AXL envelope/fault helpers. Faked: nothing.
import { describe, expect, it } from 'vitest';
import {
  escapeXml,
  findElement,
  findText,
  parseXml,
  xmlToPlain,
  XmlError,
} from '../../core/uc/xml.ts';
import { axlEnvelope, soapFaultMessage } from '../../core/uc/uc.client.ts';

describe('parseXml', () => {
  it('reads a SOAP answer, dropping prefixes in name and keeping them in qname', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
      <!-- leading comment -->
      <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
        <soapenv:Body>
          <ns:getSmartLicenseStatusResponse xmlns:ns="http://www.cisco.com/AXL/API/14.0">
            <return a='1' b="x &amp; y"><Count>10</Count><Empty/></return>
          </ns:getSmartLicenseStatusResponse>
        </soapenv:Body>
      </soapenv:Envelope>`);
    expect(root.name).toBe('Envelope');
    expect(root.qname).toBe('soapenv:Envelope');
    const ret = findElement(root, 'return')!;
    expect(ret.attrs).toEqual({ a: '1', b: 'x & y' });
    expect(findText(root, 'Count')).toBe('10');
    expect(findElement(root, 'Empty')?.children).toEqual([]);
  });
  it('decodes entities, numeric references and CDATA', () => {
    const r = parseXml('<a>&lt;b&gt; &#65;&#x42; <![CDATA[<raw & kept>]]></a>');
    expect(r.text).toBe('<b> AB <raw & kept>');
  });
  it('throws XmlError on malformed input', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(XmlError);
    expect(() => parseXml('<a>')).toThrow(/unterminated/);
    expect(() => parseXml('')).toThrow(/empty/);
    expect(() => parseXml('<a/><b/>')).toThrow(/after the root/);
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY e "boom">]><a>&e;</a>')).toThrow(/DOCTYPE/);
    expect(() => parseXml('<a x=1/>')).toThrow(/quoted/);
  });
  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(() => parseXml('<a>'.repeat(5000))).toThrow(/deeply/);
  });
});

describe('xmlToPlain', () => {
  it('turns leaves into text and repeats into arrays', () => {
    const r = parseXml(
      '<LicenseStatus><Entitlement><Tag>t1</Tag><Count>1</Count></Entitlement><Entitlement><Tag>t2</Tag><Count>2</Count></Entitlement><Entitlement><Tag>t3</Tag></Entitlement></LicenseStatus>',
    );
    expect(xmlToPlain(r)).toEqual({
      Entitlement: [{ Tag: 't1', Count: '1' }, { Tag: 't2', Count: '2' }, { Tag: 't3' }],
    });
  });
});

describe('AXL helpers', () => {
  it('builds the envelope with the version namespace and escaped values', () => {
    const env = axlEnvelope(
      '14.0',
      'doSmartLicenseRegister',
      `<token>${escapeXml('a<b&"c')}</token>`,
    );
    expect(env).toContain('xmlns:ns="http://www.cisco.com/AXL/API/14.0"');
    expect(env).toContain(
      '<ns:doSmartLicenseRegister><token>a&lt;b&amp;&quot;c</token></ns:doSmartLicenseRegister>',
    );
    expect(axlEnvelope('12.5', 'getSmartLicenseStatus', '')).toContain(
      '<ns:getSmartLicenseStatus/>',
    );
    const round = parseXml(env);
    expect(findText(round, 'token')).toBe('a<b&"c');
  });
  it('reads a SOAP fault with axl details', () => {
    const root = parseXml(
      '<soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>INVALID_PARAMETER</faultstring><detail><axlError><axlcode>400</axlcode><axlmessage>Token is invalid or expired</axlmessage></axlError></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
    );
    expect(soapFaultMessage(root)).toBe(
      'INVALID_PARAMETER: Token is invalid or expired (axlcode 400)',
    );
    expect(soapFaultMessage(parseXml('<a/>'))).toBeUndefined();
  });
});
