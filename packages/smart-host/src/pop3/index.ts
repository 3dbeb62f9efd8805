export { createPop3BeforeSmtpClient, type Pop3BeforeSmtpOptions } from './pop3-before-smtp.ts';
