export { createIngress, type Ingress, type QueueAccess } from './ingress.ts';
