/** One email, ready to send. `text` and `html` carry the same content. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers; values must not contain CR or LF. */
  headers?: Record<string, string>;
  /**
   * When the link in the message stops working. Mailers that retry stop before it, so a late
   * retry never delivers a dead link. Absent for messages that carry no link.
   */
  expiresAt?: Date;
}

/**
 * Anything that can deliver a message. Reject when the message was not accepted, so the user
 * is told to try again and the link that was minted for it is withdrawn.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
