import type { Messages } from './en';

export const nl: Messages = {
  signInTitle: 'Inloggen bij {appName}',
  signInEmailLabel: 'E-mailadres',
  signInSubmit: 'Stuur me een inloglink',
  signInNote: 'We mailen je een link waarmee je inlogt. Geen wachtwoord nodig.',

  sentTitle: 'Kijk in je mailbox',
  sentBodyLink:
    'Als dat adres bij {appName} kan inloggen, hebben we er een link naartoe gestuurd. Open die in deze browser om verder te gaan.',
  sentBodyCode:
    'Als dat adres bij {appName} kan inloggen, hebben we er een code van 6 cijfers naartoe gestuurd. Vul die hieronder in, in deze browser.',
  sentCodeLabelOnly: 'De code van 6 cijfers uit de e-mail',
  sentCodeLabelOr: 'Of vul de code van 6 cijfers uit de e-mail in',
  sentCodeLabelRelay:
    'Link op een ander apparaat geopend? Vul de code van 6 cijfers in die daar staat',
  sentRelayHint: 'of de code die verscheen waar je de link opende, als dat een ander apparaat was.',
  sentSubmitCode: 'Inloggen met code',
  sentFooterLink:
    'De link verloopt over een paar minuten. Niets ontvangen? Kijk in je spammap, of {link}.',
  sentFooterCode:
    'De code verloopt over een paar minuten. Niets ontvangen? Kijk in je spammap, of {link}.',
  sentAnotherLink: 'vraag een nieuwe link aan',
  sentAnotherCode: 'vraag een nieuwe code aan',

  confirmTitle: 'Doorgaan met inloggen?',
  confirmBody:
    'Je staat op het punt om in deze browser bij {appName} in te loggen als {email}. Controleer of dit jouw adres is.',
  confirmSignedInAs: 'Deze browser is ingelogd als {current}. Als je doorgaat, wordt dat {email}.',
  confirmNotYou:
    'Heb je deze link niet aangevraagd? Sluit dan deze pagina. Er gebeurt niets tot je op de knop drukt.',
  confirmSubmit: 'Doorgaan met inloggen',

  relayTitle: 'Rond het inloggen af in de andere browser',
  relayBody: 'Vul deze code in de browser in waar je hebt gevraagd om bij {appName} in te loggen:',
  relayWarning:
    'Deze browser blijft uitgelogd. Heb je niet gevraagd om in te loggen? Sluit dan deze pagina en geef de code aan niemand: {appName} vraagt er nooit om via telefoon, chat of e-mail.',
  relayHere: 'Wil je liever op dit apparaat inloggen? {link}.',
  relayHereLink: 'Vraag hier een link aan',

  deniedTitle: 'Open de link in dezelfde browser',
  deniedHeading: 'Open de link in de browser die je gebruikte',
  deniedBody:
    'Voor je veiligheid accepteert {appName} deze link alleen in de browser waarin je hem hebt aangevraagd.',
  deniedCode: 'Je kunt in die browser ook de code van 6 cijfers uit de e-mail invullen.',
  deniedAgain: 'Vraag in deze browser een nieuwe link aan',

  expiredTitle: 'Deze link is verlopen',
  expiredHeading: 'Deze link is verlopen of al gebruikt',
  expiredBody: 'Inloglinks werken maar één keer en maar korte tijd.',
  expiredResend: 'Stuur me een nieuwe link',
  expiredAgain: 'Vraag een nieuwe link aan',

  errorTitleRetry: 'Probeer het opnieuw',
  errorTitleSlowDown: 'Rustig aan',
  errorTitleProblem: 'Probleem bij het inloggen',
  errorBack: 'Terug naar inloggen',

  errBadRequest: 'Het verzoek werd niet begrepen.',
  errBadEmail: 'Vul een geldig e-mailadres in.',
  errBodyTooLarge: 'Het verzoek was te groot.',
  errCrossSite: 'Dit verzoek kwam van een andere site en is geweigerd.',
  errStateInvalid: 'Deze inloglink is niet geldig.',
  errExpired: 'Deze inloglink is verlopen of al gebruikt.',
  errCodeInvalid: 'Die code klopt niet of is verlopen.',
  errCodeLocked: 'Te veel foute codes. Gebruik de link in de e-mail, of vraag een nieuwe aan.',
  errCrossDeviceDenied: 'Open de link in de browser waarin je hem hebt aangevraagd.',
  errSignInRefused: 'Dit account kan niet inloggen.',
  errRateLimited: 'Te veel verzoeken. Wacht even en probeer het dan opnieuw.',
  errProviderUnavailable: 'We konden de inlogdienst niet bereiken. Probeer het zo nog eens.',
  errMailFailed: 'We konden de e-mail niet versturen. Probeer het zo nog eens.',
  errTryAgain: 'Inloggen is tijdelijk niet mogelijk. Probeer het zo nog eens.',
  errNotFound: 'Niet gevonden.',
  errHumanCheckFailed: 'Rond de controle af dat u een mens bent en probeer het opnieuw.',
  errHumanCheckUnavailable:
    'We konden niet controleren of u een mens bent. Probeer het zo nog eens.',

  emailSubject: 'Inloggen bij {appName}',
  emailButton: 'Inloggen bij {appName}',
  emailIntroText:
    'Open deze link om in te loggen bij {appName}. Hij verloopt over {expiresIn} en werkt maar één keer.',
  emailIntroHtml:
    'Gebruik de knop hieronder om in te loggen bij {appName}. De link verloopt over {expiresIn} en werkt maar één keer.',
  emailOrOpen: 'Of open deze link:',
  emailOrCode:
    'Of vul deze code in op de inlogpagina, in de browser waarin je het hebt aangevraagd:',
  emailCodeLabel: 'Inlogcode: {code}',
  emailIgnore: 'Heb je niet gevraagd om in te loggen? Dan kun je deze e-mail negeren.',
  emailSentTo: 'Deze e-mail is verstuurd naar {email}.',
  expiresLessThanMinute: 'minder dan een minuut',
  // Passkeys
  errPasskeyInvalid:
    'Deze passkey kon niet worden gebruikt. Probeer het opnieuw of log in met je e-mail.',
  errUnauthenticated: 'Log in om verder te gaan.',
  errReauthenticationRequired: 'Bevestig dat jij het bent om verder te gaan.',
  passkeySignIn: 'Inloggen met een passkey',
  passkeyOfferTitle: 'Volgende keer sneller inloggen',
  passkeyOfferBody:
    'Voeg een passkey toe en log volgende keer bij {appName} in met je vingerafdruk, gezicht of schermvergrendeling, zonder op een e-mail te wachten.',
  passkeyOfferAdd: 'Passkey toevoegen',
  passkeyOfferSkip: 'Nu niet',
  passkeyNeedsScript: 'Passkeys hebben JavaScript nodig. Je kunt altijd inloggen met je e-mail.',
  passkeyManageTitle: 'Je passkeys',
  passkeyManageEmpty: 'Je hebt nog geen passkeys.',
  passkeyManageAdd: 'Passkey toevoegen',
  passkeyCreated: 'Toegevoegd op {date}',
  passkeyLastUsed: 'Laatst gebruikt op {date}',
  passkeyNeverUsed: 'Nooit gebruikt',
  passkeyNameLabel: 'Naam',
  passkeyRename: 'Hernoemen',
  passkeyRemove: 'Verwijderen',
  reauthTitle: 'Bevestig dat jij het bent',
  reauthBody: 'Bevestig voor je veiligheid dat jij het bent voordat je verdergaat.',
  reauthPasskey: 'Mijn passkey gebruiken',
  reauthEmail: 'Een code sturen naar {email}',
};
