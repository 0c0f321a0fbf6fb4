import './profile';
import './flow/reauth';

export { magicLinkRouter } from './router';
export type { MagicLinkMiddleware, MagicLinkRouter } from './router';
export type { DrainOptions, DrainResult } from './flow/send';
export { requireUser } from './require-user';
export type { RequireUserOptions } from './require-user';
export { assertSignedIn } from './assert-signed-in';
export type { SignedInRequest } from './assert-signed-in';
export type {
  MagicLinkOptions,
  MagicLinkEvent,
  OutgoingLink,
  SendEmail,
  SetupWarningCode,
  SignInDetails,
} from './options';
export { MagicLinkError, isMagicLinkError } from './errors';
export type { MagicLinkErrorCode } from './errors';
export type { MagicLinkProfile } from './profile';
export type { LastSignIn } from './flow/reauth';
export { memoryPasskeyStore } from './passkeys/memory';
export type { MemoryPasskeyStoreOptions } from './passkeys/memory';
export type { PasskeyFailure, PasskeyOptions, PasskeyStore, StoredPasskey } from './passkeys/store';
export type {
  Provider,
  ProviderCapabilities,
  ProviderClient,
  ProviderContext,
  ProviderSignIn,
  ProviderTokens,
  ReserveCodeCheck,
  StartContext,
  StartResult,
} from './providers/provider';
export { workosProvider } from './providers/workos';
export type { WorkOSClientLike, WorkOSProviderOptions } from './providers/workos';
export {
  workosMagicAuthProvider,
  type WorkOSMagicAuthClientLike,
  type WorkOSMagicAuthProviderOptions,
} from './providers/workos-magic-auth';
export { selfHostedProvider } from './providers/self-hosted';
export type { SelfHostedProviderOptions } from './providers/self-hosted';
export type { SessionAdapter, SessionContext } from './sessions/adapter';
export { expressSessionAdapter } from './sessions/express-session';
export type { ExpressSessionAdapterOptions } from './sessions/express-session';
export { sealedCookieSession } from './sessions/sealed-cookie';
export type { SealedCookieSession, SealedCookieSessionOptions } from './sessions/sealed-cookie';
export type { CounterEntry, CounterResult, Store, StoreEntry } from './stores/store';
export { memoryStore } from './stores/memory';
export type { MemoryStore, MemoryStoreOptions } from './stores/memory';
export { redisStore } from './stores/redis';
export type { RedisStoreClient, RedisStoreOptions } from './stores/redis';
export { postgresStore } from './stores/postgres';
export type {
  PgPoolClientLike,
  PgPoolLike,
  PostgresStore,
  PostgresStoreOptions,
} from './stores/postgres';
export { postgresSchemaSql } from './stores/postgres-schema';
export type { PostgresSchemaOptions } from './stores/postgres-schema';
export {
  DEFAULT_POSTGRES_PASSKEY_TABLE,
  postgresPasskeySchemaSql,
  postgresPasskeyStore,
} from './stores/postgres-passkeys';
export type { PostgresPasskeyStore, PostgresPasskeyStoreOptions } from './stores/postgres-passkeys';
export type { RateLimitOptions, RateLimitRule } from './flow/rate-limit';
export type { Mailer, MailMessage } from './mail/mailer';
export { smtpMailer } from './mail/smtp';
export type { SmtpMailer, SmtpMailerOptions } from './mail/smtp';
export { resendMailer } from './mail/services/resend';
export type { ResendClientLike, ResendMailerOptions } from './mail/services/resend';
export { postmarkMailer } from './mail/services/postmark';
export type { PostmarkClientLike, PostmarkMailerOptions } from './mail/services/postmark';
export { sesMailer } from './mail/services/ses';
export type { SESv2ClientLike, SesMailerOptions } from './mail/services/ses';
export { sendgridMailer } from './mail/services/sendgrid';
export type { SendGridClientLike, SendGridMailerOptions } from './mail/services/sendgrid';
export { DEFAULT_SERVICE_MAILER_OPTIONS } from './mail/services/deliver';
export type { ServiceMailerOptions } from './mail/services/deliver';
export { devMailbox } from './mail/dev-mailbox';
export type { DevMailbox, DevMailboxEntry, DevMailboxOptions } from './mail/dev-mailbox';
export { defaultEmailTemplate } from './mail/templates';
export type { Branding, EmailTemplate, EmailTemplateData } from './mail/templates';
export type { SignInPageData } from './pages/pages';
export { turnstile } from './human/turnstile';
export type { TurnstileOptions } from './human/turnstile';
export { hcaptcha } from './human/hcaptcha';
export type { HCaptchaOptions } from './human/hcaptcha';
export type { HumanCheck, HumanCheckWidget, HumanVerdict, VerifyHuman } from './human/types';
export { LOCALES } from './i18n/catalogues';
export type { Locale } from './i18n/catalogues';
export type { MessageKey, Messages } from './i18n/locales/en';
export { openTelemetry } from './telemetry/open-telemetry';
export type { OpenTelemetryApi, OpenTelemetryOptions, Telemetry } from './telemetry/otel-api';
