import { ar } from './locales/ar';
import { de } from './locales/de';
import { en } from './locales/en';
import type { Messages } from './locales/en';
import { es } from './locales/es';
import { fr } from './locales/fr';
import { it } from './locales/it';
import { ja } from './locales/ja';
import { nl } from './locales/nl';
import { pl } from './locales/pl';
import { ptBR } from './locales/pt-BR';
import { sv } from './locales/sv';
import { zhCN } from './locales/zh-CN';

/** The locales the package ships, by BCP 47 tag; `en` is the source and the fallback. */
export const LOCALES = [
  'en',
  'es',
  'fr',
  'de',
  'it',
  'pt-BR',
  'nl',
  'pl',
  'sv',
  'ja',
  'zh-CN',
  'ar',
] as const;

export type Locale = (typeof LOCALES)[number];

export const CATALOGUES: Readonly<Record<Locale, Readonly<Messages>>> = {
  en,
  es,
  fr,
  de,
  it,
  'pt-BR': ptBR,
  nl,
  pl,
  sv,
  ja,
  'zh-CN': zhCN,
  ar,
};

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
