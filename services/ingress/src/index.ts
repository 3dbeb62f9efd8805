export { createIngress, type Ingress } from './ingress.ts';
