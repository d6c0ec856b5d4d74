/**
 * A fake Webex API (/v1) on 127.0.0.1 with what webex-node-bot-framework and the Webex SDK call
 * in webhook mode: the bot's person, webhooks, rooms, memberships, messages, people (including
 * the SDK's batched `GET /people?id=a,b`), attachment actions. Messages a person "types" are
 * stored with `incoming()` and announced by a webhook that `webhookBody()` builds and `sign()`
 * signs the way Webex does (X-Spark-Signature: HMAC-SHA1 of the body with the webhook secret).
 *
 * As Webex's Messages API documents: `POST /messages` takes JSON, or multipart/form-data to
 * attach a local file (form fields roomId, parentId, text, markdown and one `files` part — one
 * file per message); `PUT /messages/{messageId}` edits a message the bot sent, with the
 * required roomId and the new text or markdown.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { json, parseMultipart, startFakeServer, type FakeServer } from './fake-http.ts';

export interface FakePerson {
  id: string;
  emails: string[];
  displayName: string;
  type: 'person' | 'bot';
}

export interface FakeRoom {
  id: string;
  title: string;
  type: 'direct' | 'group';
}

export interface FakeWebex {
  server: FakeServer;
  apiUrl: string;
  token: string;
  bot: FakePerson;
  rooms: FakeRoom[];
  people: Map<string, FakePerson>;
  webhooks: {
    id: string;
    name: string;
    targetUrl: string;
    resource: string;
    event: string;
    secret?: string;
  }[];
  sent: {
    id: string;
    roomId: string;
    markdown?: string;
    text?: string;
    parentId?: string;
    attachments?: unknown[];
    /** A file uploaded with the message (multipart). */
    file?: { filename: string; contentType?: string; bytes: Buffer };
    /** Each PUT appends the new markdown (or text). */
    edits: string[];
  }[];
  /** Messages refused as Webex refuses them: text or markdown over 7,439 bytes. */
  refused: { bytes: number }[];
  unhandled: string[];
  addPerson(email: string, name?: string): FakePerson;
  /** The 1:1 space of a person with the bot. */
  direct(p: FakePerson): FakeRoom;
  group(): FakeRoom;
  /** A message typed by `person` in `room`; returns its id. */
  incoming(room: FakeRoom, person: FakePerson, text: string, mention?: boolean): string;
  /** A card press by `person` with `inputs`; returns its id. */
  cardAction(room: FakeRoom, person: FakePerson, inputs: Record<string, unknown>): string;
  webhookBody(
    resource: 'messages' | 'attachmentActions',
    dataId: string,
    room: FakeRoom,
    person: FakePerson,
  ): string;
  sign(body: string, secret: string): string;
  waitFor<T>(pred: () => T | undefined | false, ms?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * A Webex person id as the real API writes it (base64 of `ciscospark://us/PEOPLE/<uuid>`): the
 * SDK's people batcher matches answers to requests by that form.
 */
export function hydraPersonId(n: number): string {
  for (let k = 0; ; k++) {
    const uuid = `00000000-0000-4000-8000-${String(n * 1000 + k).padStart(12, '0')}`;
    const id = Buffer.from(`ciscospark://us/PEOPLE/${uuid}`).toString('base64').replace(/=+$/, '');
    if (!/[+/]/.test(id)) return id;
  }
}

export async function startFakeWebex(): Promise<FakeWebex> {
  const token = `webex-fake-${randomUUID()}`;
  const bot: FakePerson = {
    id: hydraPersonId(0),
    emails: ['smartlic@webex.bot'],
    displayName: 'smartlic',
    type: 'bot',
  };
  const people = new Map<string, FakePerson>([[bot.id, bot]]);
  const rooms: FakeRoom[] = [{ id: 'ROOM-GROUP', title: 'License ops', type: 'group' }];
  const messages = new Map<string, Record<string, unknown>>();
  // Who besides the bot is in each space.
  const members_ = new Map<string, FakePerson[]>([['ROOM-GROUP', []]]);
  const actions = new Map<string, Record<string, unknown>>();
  const fake = {} as FakeWebex;
  const membership = (room: FakeRoom, p: FakePerson) => ({
    id: `MEMBERSHIP-${room.id}-${p.id}`,
    roomId: room.id,
    personId: p.id,
    personEmail: p.emails[0],
    personDisplayName: p.displayName,
    isModerator: false,
    isMonitor: false,
    created: '2026-01-01T00:00:00.000Z',
  });
  const personJson = (p: FakePerson) => ({
    ...p,
    created: '2026-01-01T00:00:00.000Z',
    orgId: 'ORG',
  });
  const server = await startFakeServer((req, res) => {
    const url = new URL(req.path, 'http://x');
    const path = url.pathname.replace(/^\/v1/, '').replace(/(.)\/$/, '$1');
    if ((req.headers.authorization ?? '') !== `Bearer ${token}`)
      return json(res, 401, { message: 'bad token' });
    const parts = parseMultipart(req.raw, req.headers['content-type']);
    let body: Record<string, unknown> = {};
    if (parts) {
      for (const p of parts) if (p.filename === undefined) body[p.name] = p.data.toString('utf8');
    } else if (req.body) {
      try {
        body = JSON.parse(req.body) as Record<string, unknown>;
      } catch {
        return json(res, 400, { message: 'The request could not be understood.' });
      }
    }
    const key = `${req.method} ${path}`;
    if (key === 'GET /people/me') return json(res, 200, personJson(bot));
    if (key === 'GET /people') {
      const ids = (url.searchParams.get('id') ?? '').split(',').filter(Boolean);
      const items = ids.map((id) =>
        personJson(
          people.get(id) ?? {
            id,
            emails: [`${id.toLowerCase()}@example.com`],
            displayName: id,
            type: 'person',
          },
        ),
      );
      return json(res, 200, { items });
    }
    let m = /^\/people\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const p = people.get(decodeURIComponent(m[1]!));
      return p ? json(res, 200, personJson(p)) : json(res, 404, { message: 'not found' });
    }
    if (key === 'GET /webhooks') return json(res, 200, { items: fake.webhooks });
    if (key === 'POST /webhooks') {
      const w = {
        id: `WEBHOOK-${fake.webhooks.length + 1}`,
        name: String(body.name),
        targetUrl: String(body.targetUrl),
        resource: String(body.resource),
        event: String(body.event),
        ...(typeof body.secret === 'string' ? { secret: body.secret } : {}),
        status: 'active',
      };
      fake.webhooks.push(w);
      return json(res, 200, w);
    }
    m = /^\/webhooks\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && m) {
      fake.webhooks = fake.webhooks.filter((w) => w.id !== m![1]);
      res.writeHead(204);
      res.end();
      return;
    }
    if (key === 'GET /memberships') {
      const roomId = url.searchParams.get('roomId');
      if (roomId === null) return json(res, 200, { items: rooms.map((r) => membership(r, bot)) });
      const room = rooms.find((r) => r.id === roomId);
      const email = url.searchParams.get('personEmail');
      const members = room ? [bot, ...(members_.get(room.id) ?? [])] : [];
      return json(res, 200, {
        items: members
          .filter((p) => email === null || p.emails[0] === email)
          .map((p) => membership(room!, p)),
      });
    }
    m = /^\/rooms\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const r = rooms.find((x) => x.id === m![1]);
      return r
        ? json(res, 200, {
            ...r,
            isLocked: false,
            lastActivity: '2026-01-01T00:00:00.000Z',
            created: '2026-01-01T00:00:00.000Z',
            creatorId: bot.id,
          })
        : json(res, 404, { message: 'not found' });
    }
    // Webex's Messages API: "The maximum message length is 7439 bytes" (text or markdown).
    const tooLong = [body.markdown, body.text].find(
      (t): t is string => typeof t === 'string' && Buffer.byteLength(t) > 7439,
    );
    if (
      (key === 'POST /messages' || (req.method === 'PUT' && path.startsWith('/messages/'))) &&
      tooLong !== undefined
    ) {
      fake.refused.push({ bytes: Buffer.byteLength(tooLong) });
      return json(res, 400, { message: 'Message length exceeds the maximum of 7439 bytes.' });
    }
    m = /^\/messages\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const msg = messages.get(m[1]!);
      return msg ? json(res, 200, msg) : json(res, 404, { message: 'not found' });
    }
    if (req.method === 'PUT' && m) {
      const rec = fake.sent.find((x) => x.id === decodeURIComponent(m![1]!));
      if (!rec) return json(res, 404, { message: 'Message not found.' });
      if (typeof body.roomId !== 'string' || body.roomId !== rec.roomId)
        return json(res, 400, { message: 'roomId is required and must be the message’s room.' });
      const next = typeof body.markdown === 'string' ? body.markdown : body.text;
      if (typeof next !== 'string' || next === '')
        return json(res, 400, { message: 'text or markdown is required.' });
      if (typeof body.markdown === 'string') rec.markdown = body.markdown;
      if (typeof body.text === 'string') rec.text = body.text;
      rec.edits.push(next);
      const { file: _f, edits: _e, ...shown } = rec;
      return json(res, 200, {
        ...shown,
        personId: bot.id,
        personEmail: bot.emails[0],
        updated: new Date().toISOString(),
      });
    }
    if (key === 'POST /messages') {
      const id = `MESSAGE-OUT-${fake.sent.length + 1}`;
      const files = (parts ?? []).filter((p) => p.filename !== undefined);
      if (files.length > 1 || files.some((p) => p.name !== 'files'))
        return json(res, 400, { message: 'Only one file per message, in the files field.' });
      if (typeof body.roomId !== 'string' && typeof body.toPersonEmail !== 'string')
        return json(res, 400, { message: 'Message destination could not be determined.' });
      const f = files[0];
      const rec = {
        id,
        roomId: String(body.roomId),
        ...(body as object),
        ...(f
          ? {
              file: {
                filename: f.filename!,
                ...(f.contentType ? { contentType: f.contentType } : {}),
                bytes: f.data,
              },
            }
          : {}),
        edits: [],
      } as FakeWebex['sent'][number];
      fake.sent.push(rec);
      const { file: _file, edits: _edits, ...shown } = rec;
      return json(res, 200, {
        ...shown,
        // Webex answers an uploaded file as a content URL.
        ...(f ? { files: [`${server.url}/v1/contents/${id}`] } : {}),
        personId: bot.id,
        personEmail: bot.emails[0],
        created: new Date().toISOString(),
      });
    }
    m = /^\/attachment\/actions\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const a = actions.get(m[1]!);
      return a ? json(res, 200, a) : json(res, 404, { message: 'not found' });
    }
    fake.unhandled.push(`${req.method} ${req.path}`);
    return json(res, 404, { message: `fake webex: no ${key}` });
  });
  Object.assign(fake, {
    server,
    apiUrl: `${server.url}/v1`,
    token,
    bot,
    rooms,
    people,
    webhooks: [],
    sent: [],
    refused: [],
    unhandled: [],
    direct: (p: FakePerson) => rooms.find((r) => r.id === `ROOM-DIRECT-${p.id}`)!,
    group: () => rooms[0]!,
    addPerson(email: string, name = email.split('@')[0]!) {
      const p: FakePerson = {
        id: hydraPersonId(people.size),
        emails: [email],
        displayName: name,
        type: 'person',
      };
      people.set(p.id, p);
      // Everyone has a 1:1 space with the bot and is in the group space.
      rooms.push({ id: `ROOM-DIRECT-${p.id}`, title: name, type: 'direct' });
      members_.set(`ROOM-DIRECT-${p.id}`, [p]);
      members_.get('ROOM-GROUP')!.push(p);
      return p;
    },
    incoming(room: FakeRoom, person: FakePerson, text: string, mention = room.type === 'group') {
      const id = `MESSAGE-IN-${messages.size + 1}`;
      messages.set(id, {
        id,
        roomId: room.id,
        roomType: room.type,
        text: mention ? `${bot.displayName} ${text}` : text,
        personId: person.id,
        personEmail: person.emails[0],
        created: new Date().toISOString(),
        ...(mention
          ? {
              mentionedPeople: [bot.id],
              html: `<p><spark-mention data-object-type="person" data-object-id="${bot.id}">${bot.displayName}</spark-mention> ${text}</p>`,
            }
          : {}),
      });
      return id;
    },
    cardAction(room: FakeRoom, person: FakePerson, inputs: Record<string, unknown>) {
      const id = `ACTION-${actions.size + 1}`;
      actions.set(id, {
        id,
        type: 'submit',
        messageId: 'MESSAGE-OUT-1',
        inputs,
        personId: person.id,
        roomId: room.id,
        created: new Date().toISOString(),
      });
      return id;
    },
    webhookBody(
      resource: 'messages' | 'attachmentActions',
      dataId: string,
      room: FakeRoom,
      person: FakePerson,
    ) {
      const w =
        fake.webhooks.find(
          (x) => x.resource === (resource === 'messages' ? 'all' : 'attachmentActions'),
        ) ?? fake.webhooks[0];
      return JSON.stringify({
        id: w?.id ?? 'WEBHOOK-0',
        name: w?.name ?? '',
        targetUrl: w?.targetUrl ?? '',
        resource,
        event: 'created',
        orgId: 'ORG',
        createdBy: bot.id,
        appId: 'APP',
        ownedBy: 'creator',
        status: 'active',
        created: new Date().toISOString(),
        actorId: person.id,
        data: {
          id: dataId,
          roomId: room.id,
          roomType: room.type,
          personId: person.id,
          personEmail: person.emails[0],
          created: new Date().toISOString(),
        },
      });
    },
    sign: (body: string, secret: string) => createHmac('sha1', secret).update(body).digest('hex'),
    async waitFor<T>(pred: () => T | undefined | false, ms = 10_000): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > end)
          throw new Error(
            `fake webex: condition not met in time (unhandled: ${fake.unhandled.join(', ')})`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => server.close(),
  });
  return fake;
}
