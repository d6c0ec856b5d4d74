/**
 * A small, careful XML reader for AXL SOAP answers (plain element trees: no DTDs, no
 * processing beyond the prolog). Namespace prefixes are kept in `qname` and dropped in `name`,
 * because AXL servers vary the prefix (`ns:`, `axl:`, none). Malformed input throws XmlError
 * with the offset, never loops or recurses without bound.
 */

export interface XmlElement {
  /** Local name, prefix removed. */
  name: string;
  /** Name as written, with prefix. */
  qname: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element (CDATA included), entities decoded. */
  text: string;
}

export class XmlError extends Error {
  override readonly name = 'XmlError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const MAX_DEPTH = 200;

/** Decodes the five XML entities and numeric character references. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const cp = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
}

/** Escapes text for an element body or an attribute value. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Whether a character is whitespace as `/\s/` says, without a regex for the ASCII ones. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return /\s/.test(String.fromCharCode(c));
}

function localName(q: string): string {
  const i = q.indexOf(':');
  return i === -1 ? q : q.slice(i + 1);
}

/** Parses a document and returns its root element. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const n = src.length;

  const skipMisc = () => {
    for (;;) {
      while (i < n && isSpace(src.charCodeAt(i))) i++;
      if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end === -1) throw new XmlError('unterminated processing instruction', i);
        i = end + 2;
      } else if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end === -1) throw new XmlError('unterminated comment', i);
        i = end + 3;
      } else if (src.startsWith('<!DOCTYPE', i)) {
        throw new XmlError('DOCTYPE is not accepted', i);
      } else return;
    }
  };

  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) throw new XmlError('expected a name', i);
    i += m[0].length;
    return m[0];
  };

  const parseElement = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) throw new XmlError('elements nested too deeply', i);
    if (src[i] !== '<') throw new XmlError('expected "<"', i);
    i++;
    const qname = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      while (i < n && isSpace(src.charCodeAt(i))) i++;
      if (src.startsWith('/>', i)) {
        i += 2;
        return { name: localName(qname), qname, attrs, children: [], text: '' };
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (i >= n) throw new XmlError(`unterminated start tag <${qname}>`, i);
      const an = readName();
      while (i < n && isSpace(src.charCodeAt(i))) i++;
      if (src[i] !== '=') throw new XmlError(`expected "=" after attribute ${an}`, i);
      i++;
      while (i < n && isSpace(src.charCodeAt(i))) i++;
      const quote = src[i];
      if (quote !== '"' && quote !== "'")
        throw new XmlError('expected a quoted attribute value', i);
      const end = src.indexOf(quote, i + 1);
      if (end === -1) throw new XmlError('unterminated attribute value', i);
      attrs[an] = decodeEntities(src.slice(i + 1, end));
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (i >= n) throw new XmlError(`unterminated element <${qname}>`, i);
      if (src.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== qname) throw new XmlError(`expected </${qname}>, found </${close}>`, i);
        while (i < n && isSpace(src.charCodeAt(i))) i++;
        if (src[i] !== '>') throw new XmlError('expected ">"', i);
        i++;
        return { name: localName(qname), qname, attrs, children, text };
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end === -1) throw new XmlError('unterminated comment', i);
        i = end + 3;
      } else if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i + 9);
        if (end === -1) throw new XmlError('unterminated CDATA', i);
        text += src.slice(i + 9, end);
        i = end + 3;
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end === -1) throw new XmlError('unterminated processing instruction', i);
        i = end + 2;
      } else if (src[i] === '<') {
        children.push(parseElement(depth + 1));
      } else {
        const end = src.indexOf('<', i);
        const raw = src.slice(i, end === -1 ? n : end);
        text += decodeEntities(raw);
        i = end === -1 ? n : end;
      }
    }
  };

  skipMisc();
  if (i >= n) throw new XmlError('empty document', i);
  const root = parseElement(0);
  skipMisc();
  if (i < n) throw new XmlError('content after the root element', i);
  return root;
}

/** The first element named `name` (local name) at any depth, root included; breadth-first. */
export function findElement(root: XmlElement, name: string): XmlElement | undefined {
  const queue = [root];
  for (let k = 0; k < queue.length; k++) {
    const el = queue[k]!;
    if (el.name === name) return el;
    queue.push(...el.children);
  }
  return undefined;
}

/** Text of the first descendant named `name`, trimmed; undefined when absent. */
export function findText(root: XmlElement, name: string): string | undefined {
  return findElement(root, name)?.text.trim();
}

/**
 * An element tree as plain data: leaves become their trimmed text, parents become objects,
 * and a name repeated among siblings becomes an array. Attributes are dropped (AXL answers
 * carry none that matter).
 */
export function xmlToPlain(el: XmlElement): unknown {
  if (el.children.length === 0) return el.text.trim();
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    const v = xmlToPlain(c);
    const prev = out[c.name];
    if (prev === undefined) out[c.name] = v;
    // Only repeats make arrays (leaves are strings, parents objects), so an array here is one.
    else if (Array.isArray(prev)) prev.push(v);
    else out[c.name] = [prev, v];
  }
  return out;
}
