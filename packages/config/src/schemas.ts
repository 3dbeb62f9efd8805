import * as z from 'zod';
import { variableShape } from './variables.ts';

// One zod object per service, built from the VARIABLES table. They validate each
// variable on its own (text → value, defaults applied). Reading *_FILE secrets,
// rules between variables and the camelCase result are the loaders' job (load.ts).

export const commonSchema = z.object(variableShape(['common']));
export const ingressSchema = z.object(variableShape(['common', 'ingress']));
export const senderSchema = z.object(variableShape(['common', 'sender']));
export const allInOneSchema = z.object(variableShape(['common', 'ingress', 'sender']));

export type CommonFields = z.output<typeof commonSchema>;
export type IngressFields = z.output<typeof ingressSchema>;
export type SenderFields = z.output<typeof senderSchema>;
export type AllInOneFields = z.output<typeof allInOneSchema>;
