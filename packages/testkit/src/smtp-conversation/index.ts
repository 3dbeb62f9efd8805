export type { ConversationReply } from './reply-parser.ts';
export {
  smtpConversation,
  type ConversationTlsOptions,
  type SmtpConversation,
  type SmtpConversationOptions,
} from './smtp-conversation.ts';
