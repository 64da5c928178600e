import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** The e-mail port. SMTP when FRAMEHOUSE_SMTP_URL is set; otherwise mail is logged as undeliverable. */
export interface Mailer {
  readonly configured: boolean;
  send(mail: Mail): Promise<void>;
}

export function createMailer(
  smtpUrl: string | undefined,
  from: string,
  log: { warn: (o: object, msg: string) => void },
): Mailer {
  if (!smtpUrl) {
    return {
      configured: false,
      // Answering as if sent keeps a password-reset request from telling who has an account.
      async send(mail) {
        log.warn({ to: mail.to, subject: mail.subject }, 'no FRAMEHOUSE_SMTP_URL: this e-mail was not sent');
      },
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    configured: true,
    async send(mail) {
      await transport.sendMail({ from, ...mail });
    },
  };
}
