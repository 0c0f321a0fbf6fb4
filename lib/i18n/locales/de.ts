import type { Messages } from './en';

export const de: Messages = {
  signInTitle: 'Bei {appName} anmelden',
  signInEmailLabel: 'E-Mail-Adresse',
  signInSubmit: 'Anmeldelink per E-Mail senden',
  signInNote: 'Wir schicken Ihnen einen Link, der Sie anmeldet. Ganz ohne Passwort.',

  sentTitle: 'Prüfen Sie Ihre E-Mails',
  sentBodyLink:
    'Wenn sich diese Adresse bei {appName} anmelden kann, haben wir ihr einen Link geschickt. Öffnen Sie ihn in diesem Browser, um fortzufahren.',
  sentBodyCode:
    'Wenn sich diese Adresse bei {appName} anmelden kann, haben wir ihr einen 6-stelligen Code geschickt. Geben Sie ihn unten in diesem Browser ein.',
  sentCodeLabelOnly: 'Der 6-stellige Code aus der E-Mail',
  sentCodeLabelOr: 'Oder geben Sie den 6-stelligen Code aus der E-Mail ein',
  sentCodeLabelRelay:
    'Link auf einem anderen Gerät geöffnet? Geben Sie den 6-stelligen Code ein, der dort angezeigt wird',
  sentRelayHint:
    'oder den Code, der dort angezeigt wurde, wo Sie den Link geöffnet haben, falls das ein anderes Gerät war.',
  sentSubmitCode: 'Mit Code anmelden',
  sentFooterLink:
    'Der Link ist nur wenige Minuten gültig. Nichts angekommen? Sehen Sie im Spam-Ordner nach oder {link}.',
  sentFooterCode:
    'Der Code ist nur wenige Minuten gültig. Nichts angekommen? Sehen Sie im Spam-Ordner nach oder {link}.',
  sentAnotherLink: 'fordern Sie einen neuen Link an',
  sentAnotherCode: 'fordern Sie einen neuen Code an',

  confirmTitle: 'Anmeldung fortsetzen?',
  confirmBody:
    'Sie melden sich in diesem Browser als {email} bei {appName} an. Prüfen Sie, ob das Ihre Adresse ist.',
  confirmSignedInAs:
    'Dieser Browser ist als {current} angemeldet. Wenn Sie fortfahren, wird er stattdessen als {email} angemeldet.',
  confirmNotYou:
    'Wenn Sie diesen Link nicht angefordert haben, schließen Sie diese Seite. Es passiert nichts, solange Sie nicht auf die Schaltfläche drücken.',
  confirmSubmit: 'Anmeldung fortsetzen',

  relayTitle: 'Schließen Sie die Anmeldung im anderen Browser ab',
  relayBody:
    'Geben Sie diesen Code in dem Browser ein, in dem Sie die Anmeldung bei {appName} angefordert haben:',
  relayWarning:
    'Dieser Browser bleibt abgemeldet. Wenn Sie keine Anmeldung angefordert haben, schließen Sie diese Seite und geben Sie den Code niemandem weiter: {appName} fragt nie per Telefon, Chat oder E-Mail danach.',
  relayHere: 'Lieber auf diesem Gerät anmelden? {link}.',
  relayHereLink: 'Hier einen Link anfordern',

  deniedTitle: 'Öffnen Sie den Link im selben Browser',
  deniedHeading: 'Öffnen Sie den Link in dem Browser, den Sie verwendet haben',
  deniedBody:
    'Zu Ihrer Sicherheit akzeptiert {appName} diesen Link nur in dem Browser, in dem Sie ihn angefordert haben.',
  deniedCode: 'Sie können dort auch den 6-stelligen Code aus der E-Mail eingeben.',
  deniedAgain: 'In diesem Browser einen neuen Link anfordern',

  expiredTitle: 'Dieser Link ist abgelaufen',
  expiredHeading: 'Dieser Link ist abgelaufen oder wurde bereits verwendet',
  expiredBody: 'Anmeldelinks funktionieren nur einmal und nur für kurze Zeit.',
  expiredResend: 'Neuen Link per E-Mail senden',
  expiredAgain: 'Neuen Link anfordern',

  errorTitleRetry: 'Bitte versuchen Sie es erneut',
  errorTitleSlowDown: 'Nicht so schnell',
  errorTitleProblem: 'Problem bei der Anmeldung',
  errorBack: 'Zurück zur Anmeldung',

  errBadRequest: 'Die Anfrage wurde nicht verstanden.',
  errBadEmail: 'Geben Sie eine gültige E-Mail-Adresse ein.',
  errBodyTooLarge: 'Die Anfrage war zu groß.',
  errCrossSite: 'Diese Anfrage kam von einer anderen Website und wurde abgelehnt.',
  errStateInvalid: 'Dieser Anmeldelink ist ungültig.',
  errExpired: 'Dieser Anmeldelink ist abgelaufen oder wurde bereits verwendet.',
  errCodeInvalid: 'Dieser Code ist falsch oder abgelaufen.',
  errCodeLocked:
    'Zu viele falsche Codes. Verwenden Sie den Link aus der E-Mail oder fordern Sie einen neuen an.',
  errCrossDeviceDenied: 'Öffnen Sie den Link in dem Browser, in dem Sie ihn angefordert haben.',
  errSignInRefused: 'Dieses Konto kann sich nicht anmelden.',
  errRateLimited: 'Zu viele Anfragen. Warten Sie kurz und versuchen Sie es dann erneut.',
  errProviderUnavailable:
    'Der Anmeldedienst ist nicht erreichbar. Versuchen Sie es gleich noch einmal.',
  errMailFailed: 'Die E-Mail konnte nicht gesendet werden. Versuchen Sie es gleich noch einmal.',
  errTryAgain:
    'Die Anmeldung ist vorübergehend nicht verfügbar. Versuchen Sie es gleich noch einmal.',
  errNotFound: 'Nicht gefunden.',
  errHumanCheckFailed:
    'Bestätigen Sie, dass Sie ein Mensch sind, und versuchen Sie es dann erneut.',
  errHumanCheckUnavailable:
    'Wir konnten nicht prüfen, ob Sie ein Mensch sind. Versuchen Sie es gleich noch einmal.',

  emailSubject: 'Anmeldung bei {appName}',
  emailButton: 'Bei {appName} anmelden',
  emailIntroText:
    'Öffnen Sie diesen Link, um sich bei {appName} anzumelden. Er ist {expiresIn} lang gültig und funktioniert nur einmal.',
  emailIntroHtml:
    'Melden Sie sich mit der Schaltfläche unten bei {appName} an. Der Link ist {expiresIn} lang gültig und funktioniert nur einmal.',
  emailOrOpen: 'Oder öffnen Sie diesen Link:',
  emailOrCode:
    'Oder geben Sie diesen Code auf der Anmeldeseite ein, in dem Browser, in dem Sie die Anmeldung angefordert haben:',
  emailCodeLabel: 'Anmeldecode: {code}',
  emailIgnore: 'Wenn Sie keine Anmeldung angefordert haben, können Sie diese E-Mail ignorieren.',
  emailSentTo: 'Diese E-Mail wurde an {email} gesendet.',
  expiresLessThanMinute: 'weniger als eine Minute',
  // Passkeys
  errPasskeyInvalid:
    'Dieser Passkey konnte nicht verwendet werden. Versuchen Sie es erneut oder melden Sie sich per E-Mail an.',
  errUnauthenticated: 'Melden Sie sich an, um fortzufahren.',
  errReauthenticationRequired: 'Bestätigen Sie, dass Sie es sind, um fortzufahren.',
  passkeySignIn: 'Mit einem Passkey anmelden',
  passkeyOfferTitle: 'Nächstes Mal schneller anmelden',
  passkeyOfferBody:
    'Fügen Sie einen Passkey hinzu und melden Sie sich nächstes Mal mit Fingerabdruck, Gesicht oder Bildschirmsperre bei {appName} an, ohne auf eine E-Mail zu warten.',
  passkeyOfferAdd: 'Passkey hinzufügen',
  passkeyOfferSkip: 'Jetzt nicht',
  passkeyNeedsScript: 'Passkeys brauchen JavaScript. Per E-Mail können Sie sich immer anmelden.',
  passkeyManageTitle: 'Ihre Passkeys',
  passkeyManageEmpty: 'Sie haben noch keine Passkeys.',
  passkeyManageAdd: 'Passkey hinzufügen',
  passkeyCreated: 'Hinzugefügt am {date}',
  passkeyLastUsed: 'Zuletzt verwendet am {date}',
  passkeyNeverUsed: 'Nie verwendet',
  passkeyNameLabel: 'Bezeichnung',
  passkeyRename: 'Umbenennen',
  passkeyRemove: 'Entfernen',
  reauthTitle: 'Bestätigen Sie, dass Sie es sind',
  reauthBody: 'Bestätigen Sie zu Ihrer Sicherheit, dass Sie es sind, bevor Sie fortfahren.',
  reauthPasskey: 'Meinen Passkey verwenden',
  reauthEmail: 'Einen Code an {email} senden',
};
