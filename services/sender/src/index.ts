export { createSender, type Sender } from './sender.ts';
