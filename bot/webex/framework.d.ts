// webex-node-bot-framework ships no types; bot/webex/webex-adapter.ts declares the parts it uses.
declare module 'webex-node-bot-framework';
declare module 'webex-node-bot-framework/lib/process-event.js';
