// MAILER=resend|postmark|ses|sendgrid: the email goes out through that service's official SDK,
// configured by the service's usual environment variables. Each SDK is imported only when chosen.
import { postmarkMailer, resendMailer, sendgridMailer, sesMailer } from 'express-magic-link';

export const MAILERS = ['resend', 'postmark', 'ses', 'sendgrid'];

function required(env, name, why) {
  if (!env[name]) throw new Error(`MAILER=${env.MAILER} needs ${name}: ${why}.`);
  return env[name];
}

/** The mailer MAILER names, or null when MAILER is not set. */
export async function serviceMailerFrom(env) {
  if (!env.MAILER) return null;
  if (!MAILERS.includes(env.MAILER)) {
    throw new Error(`MAILER=${env.MAILER} is not a mailer. Use one of: ${MAILERS.join(', ')}.`);
  }
  const from = required(
    env,
    'MAIL_FROM',
    'a sender the service has verified, e.g. "Acme <login@mail.acme.example>"',
  );
  switch (env.MAILER) {
    case 'resend': {
      const { Resend } = await import('resend');
      const key = required(env, 'RESEND_API_KEY', 'an API key with sending access');
      // RESEND_BASE_URL is the SDK's own setting, e.g. for a local test server.
      return resendMailer({
        resend: new Resend(key, { baseUrl: env.RESEND_BASE_URL || undefined }),
        from,
      });
    }
    case 'postmark': {
      const { ServerClient } = await import('postmark');
      return postmarkMailer({
        client: new ServerClient(
          required(env, 'POSTMARK_SERVER_TOKEN', "the sending server's API token"),
        ),
        from,
        messageStream: env.POSTMARK_MESSAGE_STREAM || undefined,
      });
    }
    case 'ses': {
      const { SESv2Client } = await import('@aws-sdk/client-sesv2');
      // Credentials come from the SDK's usual chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
      // AWS_PROFILE, or the instance's role.
      const region = required(env, 'AWS_REGION', 'the region where the sender is verified');
      return sesMailer({ client: new SESv2Client({ region }), from });
    }
    case 'sendgrid': {
      const { default: sgMail } = await import('@sendgrid/mail');
      sgMail.setApiKey(required(env, 'SENDGRID_API_KEY', 'an API key allowed Mail Send'));
      return sendgridMailer({ client: sgMail, from });
    }
  }
  return null;
}
