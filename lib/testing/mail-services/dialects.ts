import type { IncomingHttpHeaders } from 'node:http';
import { field, namedValues, text } from './server';
import type { Dialect, MailServiceName, ServiceEmail, WireAnswer } from './server';

/**
 * The four services' wire formats, as their official SDKs send them and as the services'
 * API references describe the answers. Error bodies and statuses are the services' own, so an
 * SDK reads them as it reads the real thing.
 */

function bearer(headers: IncomingHttpHeaders, apiKey: string): boolean {
  return headers.authorization === `Bearer ${apiKey}`;
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function missing(email: Omit<ServiceEmail, 'id'>): string | Omit<ServiceEmail, 'id'> {
  if (email.from === '') return 'The `from` field is missing.';
  if (email.to.length === 0) return 'The `to` field is missing.';
  if (email.subject === '') return 'The `subject` field is missing.';
  return email;
}

/** Resend: `POST /emails`, `Authorization: Bearer`, errors `{ statusCode, message, name }`. */
const resend: Dialect = {
  method: 'POST',
  path: '/emails',
  authorized: bearer,
  parse(body) {
    const tags: Record<string, string> = {};
    for (const tag of (field(body, 'tags') ?? []) as { name?: unknown; value?: unknown }[]) {
      if (typeof tag.name === 'string') tags[tag.name] = text(tag.value);
    }
    return missing({
      from: text(field(body, 'from')),
      to: asList(field(body, 'to')),
      subject: text(field(body, 'subject')),
      text: text(field(body, 'text')),
      html: text(field(body, 'html')),
      headers: stringRecord(field(body, 'headers')),
      tags,
      extra: {},
    });
  },
  accepted: (email) => ({ status: 200, body: { id: email.id } }),
  refused(kind, status, message) {
    const [code, name, said]: [number, string, string] =
      kind === 'auth'
        ? [403, 'invalid_api_key', 'API key is invalid']
        : kind === 'sender'
          ? [
              403,
              'validation_error',
              'The example.test domain is not verified. Please, add and verify your domain on https://resend.com/domains',
            ]
          : kind === 'invalid'
            ? [422, 'validation_error', 'Invalid request']
            : [
                status,
                status === 429
                  ? 'rate_limit_exceeded'
                  : status === 409
                    ? 'concurrent_idempotent_requests'
                    : status >= 500
                      ? 'internal_server_error'
                      : 'application_error',
                `HTTP ${status}`,
              ];
    return { status: code, body: { statusCode: code, message: message ?? said, name } };
  },
};

/** Postmark: `POST /email`, `X-Postmark-Server-Token`, errors `{ ErrorCode, Message }`. */
const postmark: Dialect = {
  method: 'POST',
  path: '/email',
  authorized: (headers, apiKey) => headers['x-postmark-server-token'] === apiKey,
  parse(body) {
    const metadata = stringRecord(field(body, 'Metadata'));
    const tag = text(field(body, 'Tag'));
    return missing({
      from: text(field(body, 'From')),
      to: asList(field(body, 'To')),
      subject: text(field(body, 'Subject')),
      text: text(field(body, 'TextBody')),
      html: text(field(body, 'HtmlBody')),
      headers: namedValues(field(body, 'Headers')),
      tags: { ...metadata, ...(tag === '' ? {} : { Tag: tag }) },
      extra: {
        MessageStream: field(body, 'MessageStream'),
        TrackOpens: field(body, 'TrackOpens'),
        TrackLinks: field(body, 'TrackLinks'),
      },
    });
  },
  accepted: (email) => ({
    status: 200,
    body: {
      To: email.to.join(', '),
      SubmittedAt: new Date().toISOString(),
      MessageID: email.id,
      ErrorCode: 0,
      Message: 'OK',
    },
  }),
  refused(kind, status, message): WireAnswer {
    if (kind === 'auth') {
      return {
        status: 401,
        body: {
          ErrorCode: 10,
          Message:
            'The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token.',
        },
      };
    }
    if (kind === 'sender') {
      return {
        status: 422,
        body: {
          ErrorCode: 400,
          Message:
            "The 'From' address you supplied (sender@example.test) is not a Sender Signature on your account. Please add and confirm this address in order to be able to use it in the 'From' field of your messages.",
        },
      };
    }
    if (kind === 'invalid') return { status: 422, body: { ErrorCode: 300, Message: message } };
    return {
      status,
      body: { ErrorCode: status === 429 ? 429 : 0, Message: message ?? `HTTP ${status}` },
    };
  },
};

/**
 * Amazon SES v2: `POST /v2/email/outbound-emails`, SigV4 (`Credential=<access key id>/…`; the
 * signature itself is not checked), errors as `x-amzn-ErrorType` and `{ message }`.
 */
const ses: Dialect = {
  method: 'POST',
  path: '/v2/email/outbound-emails',
  authorized(headers, apiKey) {
    const auth = headers.authorization ?? '';
    return (
      auth.startsWith('AWS4-HMAC-SHA256 ') &&
      auth.includes(`Credential=${apiKey}/`) &&
      auth.includes('/ses/aws4_request') &&
      /Signature=[0-9a-f]{64}/.test(auth)
    );
  },
  parse(body) {
    const simple = field(body, 'Content', 'Simple');
    return missing({
      from: text(field(body, 'FromEmailAddress')),
      to: asList(field(body, 'Destination', 'ToAddresses')),
      subject: text(field(simple, 'Subject', 'Data')),
      text: text(field(simple, 'Body', 'Text', 'Data')),
      html: text(field(simple, 'Body', 'Html', 'Data')),
      headers: namedValues(field(simple, 'Headers')),
      tags: namedValues(field(body, 'EmailTags')),
      extra: {
        ConfigurationSetName: field(body, 'ConfigurationSetName'),
        Charset: field(simple, 'Body', 'Html', 'Charset'),
      },
    });
  },
  accepted: (email) => ({ status: 200, body: { MessageId: email.id } }),
  refused(kind, status, message) {
    const [code, type, said]: [number, string, string] =
      kind === 'auth'
        ? [
            403,
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
          ]
        : kind === 'sender'
          ? [
              400,
              'MessageRejected',
              'Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.test',
            ]
          : kind === 'invalid'
            ? [400, 'BadRequestException', message ?? 'Bad request']
            : [
                status,
                status === 429
                  ? 'TooManyRequestsException'
                  : status >= 500
                    ? 'InternalFailure'
                    : 'BadRequestException',
                `HTTP ${status}`,
              ];
    return {
      status: code,
      headers: { 'x-amzn-errortype': type, 'x-amzn-requestid': 'test-request' },
      body: { message: message ?? said },
    };
  },
};

/** SendGrid v3: `POST /v3/mail/send`, `Authorization: Bearer`, errors `{ errors: [{ message }] }`. */
const sendgrid: Dialect = {
  method: 'POST',
  path: '/v3/mail/send',
  authorized: bearer,
  parse(body) {
    const content = (field(body, 'content') ?? []) as { type?: unknown; value?: unknown }[];
    const part = (type: string): string => text(content.find((c) => c.type === type)?.value);
    const to = ((field(body, 'personalizations') ?? []) as { to?: { email?: unknown }[] }[])
      .flatMap((p) => p.to ?? [])
      .map((r) => text(r.email));
    const tags: Record<string, string> = stringRecord(field(body, 'custom_args'));
    for (const category of asList(field(body, 'categories'))) tags[`category:${category}`] = '';
    const from = field(body, 'from');
    const name = text(field(from, 'name'));
    const address = text(field(from, 'email'));
    return missing({
      from: name === '' ? address : `${name} <${address}>`,
      to,
      subject: text(field(body, 'subject')),
      text: part('text/plain'),
      html: part('text/html'),
      headers: stringRecord(field(body, 'headers')),
      tags,
      extra: { tracking_settings: field(body, 'tracking_settings') },
    });
  },
  accepted: (email) => ({ status: 202, headers: { 'x-message-id': email.id }, body: '' }),
  refused(kind, status, message) {
    const [code, said, at]: [number, string, string | null] =
      kind === 'auth'
        ? [401, 'The provided authorization grant is invalid, expired, or revoked', null]
        : kind === 'sender'
          ? [
              403,
              'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
              'from',
            ]
          : kind === 'invalid'
            ? [400, message ?? 'Bad request', null]
            : [status, status === 429 ? 'too many requests' : `HTTP ${status}`, null];
    return {
      status: code,
      body: { errors: [{ message: message ?? said, field: at, help: null }] },
    };
  },
};

/** Every service's dialect, by name. */
export const DIALECTS: Readonly<Record<MailServiceName, Dialect>> = {
  resend,
  postmark,
  ses,
  sendgrid,
};
