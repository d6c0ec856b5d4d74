export {
  Notifier,
  RetryLater,
  alertReply,
  inQuietHours,
  matches,
  type ChatSender,
  type NotifierOptions,
} from './notifier.ts';
export {
  interruptedReply,
  recordThread,
  tellInterrupted,
  type ChatThreadsPort,
} from './interrupted.ts';
