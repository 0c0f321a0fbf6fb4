import type { Messages } from './en';

export const it: Messages = {
  signInTitle: 'Accedi a {appName}',
  signInEmailLabel: 'Indirizzo email',
  signInSubmit: 'Inviami un link di accesso',
  signInNote: 'Ti invieremo via email un link per accedere. Nessuna password.',

  sentTitle: 'Controlla la tua email',
  sentBodyLink:
    'Se quell’indirizzo può accedere a {appName}, gli abbiamo inviato un link. Aprilo in questo browser per continuare.',
  sentBodyCode:
    'Se quell’indirizzo può accedere a {appName}, gli abbiamo inviato un codice di 6 cifre. Inseriscilo qui sotto, in questo browser.',
  sentCodeLabelOnly: 'Il codice di 6 cifre ricevuto via email',
  sentCodeLabelOr: 'Oppure inserisci il codice di 6 cifre ricevuto via email',
  sentCodeLabelRelay:
    'Hai aperto il link su un altro dispositivo? Inserisci il codice di 6 cifre che vedi lì',
  sentRelayHint: 'oppure quello mostrato dove hai aperto il link, se era un altro dispositivo.',
  sentSubmitCode: 'Accedi con il codice',
  sentFooterLink:
    'Il link scade tra pochi minuti. Non è arrivato nulla? Controlla la cartella spam oppure {link}.',
  sentFooterCode:
    'Il codice scade tra pochi minuti. Non è arrivato nulla? Controlla la cartella spam oppure {link}.',
  sentAnotherLink: 'chiedi un altro link',
  sentAnotherCode: 'chiedi un altro codice',

  confirmTitle: 'Continuare l’accesso?',
  confirmBody:
    'Stai per accedere a {appName} come {email} in questo browser. Verifica che sia il tuo indirizzo.',
  confirmSignedInAs:
    'In questo browser hai già effettuato l’accesso come {current}. Continuando, accederai invece come {email}.',
  confirmNotYou:
    'Se non hai richiesto questo link, chiudi questa pagina. Non succede nulla finché non premi il pulsante.',
  confirmSubmit: 'Continua l’accesso',

  relayTitle: 'Completa l’accesso nell’altro browser',
  relayBody: 'Inserisci questo codice nel browser da cui hai chiesto di accedere a {appName}:',
  relayWarning:
    'Questo browser resta disconnesso. Se non hai chiesto di accedere, chiudi questa pagina e non dare il codice a nessuno: {appName} non te lo chiederà mai per telefono, chat o email.',
  relayHere: 'Preferisci accedere da questo dispositivo? {link}.',
  relayHereLink: 'Chiedi un link qui',

  deniedTitle: 'Apri il link nello stesso browser',
  deniedHeading: 'Apri il link nel browser che hai usato',
  deniedBody:
    'Per la tua sicurezza, {appName} accetta questo link solo nel browser da cui l’hai richiesto.',
  deniedCode: 'In quel browser puoi anche inserire il codice di 6 cifre ricevuto via email.',
  deniedAgain: 'Chiedi un nuovo link in questo browser',

  expiredTitle: 'Questo link è scaduto',
  expiredHeading: 'Questo link è scaduto o è già stato usato',
  expiredBody: 'I link di accesso funzionano una sola volta e per poco tempo.',
  expiredResend: 'Inviami un nuovo link',
  expiredAgain: 'Chiedi un nuovo link',

  errorTitleRetry: 'Riprova',
  errorTitleSlowDown: 'Rallenta',
  errorTitleProblem: 'Problema di accesso',
  errorBack: 'Torna all’accesso',

  errBadRequest: 'Non abbiamo capito la richiesta.',
  errBadEmail: 'Inserisci un indirizzo email valido.',
  errBodyTooLarge: 'La richiesta era troppo grande.',
  errCrossSite: 'Questa richiesta proveniva da un altro sito ed è stata rifiutata.',
  errStateInvalid: 'Questo link di accesso non è valido.',
  errExpired: 'Questo link di accesso è scaduto o è già stato usato.',
  errCodeInvalid: 'Il codice non è corretto oppure è scaduto.',
  errCodeLocked: 'Troppi codici errati. Usa il link nell’email oppure chiedine uno nuovo.',
  errCrossDeviceDenied: 'Apri il link nel browser da cui l’hai richiesto.',
  errSignInRefused: 'Questo account non può accedere.',
  errRateLimited: 'Troppe richieste. Aspetta un momento, poi riprova.',
  errProviderUnavailable:
    'Non riusciamo a raggiungere il servizio di accesso. Riprova tra un momento.',
  errMailFailed: 'Non siamo riusciti a inviare l’email. Riprova tra un momento.',
  errTryAgain: 'L’accesso è momentaneamente non disponibile. Riprova tra un momento.',
  errNotFound: 'Pagina non trovata.',
  errHumanCheckFailed: 'Completa la verifica che sei una persona, poi riprova.',
  errHumanCheckUnavailable:
    'Non siamo riusciti a verificare che sei una persona. Riprova tra un momento.',

  emailSubject: 'Accedi a {appName}',
  emailButton: 'Accedi a {appName}',
  emailIntroText:
    'Apri questo link per accedere a {appName}. Scade tra {expiresIn} e funziona una sola volta.',
  emailIntroHtml:
    'Usa il pulsante qui sotto per accedere a {appName}. Scade tra {expiresIn} e funziona una sola volta.',
  emailOrOpen: 'Oppure apri questo link:',
  emailOrCode:
    'Oppure inserisci questo codice nella pagina di accesso, nel browser da cui hai fatto la richiesta:',
  emailCodeLabel: 'Codice di accesso: {code}',
  emailIgnore: 'Se non hai chiesto di accedere, puoi ignorare questa email.',
  emailSentTo: 'Questa email è stata inviata a {email}.',
  expiresLessThanMinute: 'meno di un minuto',
  // Passkeys
  errPasskeyInvalid:
    'Non è stato possibile usare questa passkey. Riprova o accedi con la tua email.',
  errUnauthenticated: 'Accedi per continuare.',
  errReauthenticationRequired: 'Conferma che sei tu per continuare.',
  passkeySignIn: 'Accedi con una passkey',
  passkeyOfferTitle: 'Accedi più velocemente la prossima volta',
  passkeyOfferBody:
    'Aggiungi una passkey e la prossima volta accedi a {appName} con l’impronta, il volto o il blocco schermo, senza aspettare un’email.',
  passkeyOfferAdd: 'Aggiungi una passkey',
  passkeyOfferSkip: 'Non ora',
  passkeyNeedsScript: 'Le passkey richiedono JavaScript. Puoi sempre accedere con la tua email.',
  passkeyManageTitle: 'Le tue passkey',
  passkeyManageEmpty: 'Non hai ancora passkey.',
  passkeyManageAdd: 'Aggiungi una passkey',
  passkeyCreated: 'Aggiunta il {date}',
  passkeyLastUsed: 'Usata l’ultima volta il {date}',
  passkeyNeverUsed: 'Mai usata',
  passkeyNameLabel: 'Nome',
  passkeyRename: 'Rinomina',
  passkeyRemove: 'Rimuovi',
  reauthTitle: 'Conferma che sei tu',
  reauthBody: 'Per la tua sicurezza, conferma che sei tu prima di continuare.',
  reauthPasskey: 'Usa la mia passkey',
  reauthEmail: 'Invia un codice a {email}',
};
