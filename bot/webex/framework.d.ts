// webex-node-bot-framework ships no types; bot/webex/webex-adapter.ts declares the parts it uses.
declare module 'webex-node-bot-framework';
declare module 'webex-node-bot-framework/webhook.js';
