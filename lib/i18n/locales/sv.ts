import type { Messages } from './en';

export const sv: Messages = {
  signInTitle: 'Logga in på {appName}',
  signInEmailLabel: 'E-postadress',
  signInSubmit: 'Mejla mig en inloggningslänk',
  signInNote: 'Vi mejlar dig en länk som loggar in dig. Inget lösenord behövs.',

  sentTitle: 'Kolla din e-post',
  sentBodyLink:
    'Om den adressen kan logga in på {appName} har vi skickat en länk till den. Öppna den i den här webbläsaren för att fortsätta.',
  sentBodyCode:
    'Om den adressen kan logga in på {appName} har vi skickat en sexsiffrig kod till den. Skriv den nedan, i den här webbläsaren.',
  sentCodeLabelOnly: 'Den sexsiffriga koden från mejlet',
  sentCodeLabelOr: 'Eller skriv den sexsiffriga koden från mejlet',
  sentCodeLabelRelay:
    'Öppnade du länken på en annan enhet? Skriv den sexsiffriga kod som visas där',
  sentRelayHint: 'eller den som visades där du öppnade länken, om det var på en annan enhet.',
  sentSubmitCode: 'Logga in med kod',
  sentFooterLink:
    'Länken slutar gälla om några minuter. Har inget kommit? Titta i skräpposten, eller {link}.',
  sentFooterCode:
    'Koden slutar gälla om några minuter. Har inget kommit? Titta i skräpposten, eller {link}.',
  sentAnotherLink: 'be om en ny länk',
  sentAnotherCode: 'be om en ny kod',

  confirmTitle: 'Fortsätta logga in?',
  confirmBody:
    'Du håller på att logga in på {appName} som {email} i den här webbläsaren. Kontrollera att det är din adress.',
  confirmSignedInAs:
    'Den här webbläsaren är inloggad som {current}. Om du fortsätter loggas den in som {email} i stället.',
  confirmNotYou:
    'Om du inte bad om den här länken kan du stänga sidan. Ingenting händer förrän du trycker på knappen.',
  confirmSubmit: 'Fortsätt logga in',

  relayTitle: 'Slutför inloggningen i den andra webbläsaren',
  relayBody: 'Skriv den här koden i webbläsaren där du bad om att logga in på {appName}:',
  relayWarning:
    'Den här webbläsaren förblir utloggad. Om du inte bad om att logga in, stäng sidan och ge inte koden till någon: {appName} ber aldrig om den via telefon, chatt eller e-post.',
  relayHere: 'Vill du hellre logga in på den här enheten? {link}.',
  relayHereLink: 'Be om en länk här',

  deniedTitle: 'Öppna länken i samma webbläsare',
  deniedHeading: 'Öppna länken i webbläsaren du använde',
  deniedBody:
    'För din säkerhet godtar {appName} den här länken bara i webbläsaren där du bad om den.',
  deniedCode: 'Du kan också skriva den sexsiffriga koden från mejlet i den webbläsaren.',
  deniedAgain: 'Be om en ny länk i den här webbläsaren',

  expiredTitle: 'Länken har slutat gälla',
  expiredHeading: 'Länken har slutat gälla eller har redan använts',
  expiredBody: 'Inloggningslänkar fungerar en gång och bara under en kort tid.',
  expiredResend: 'Mejla mig en ny länk',
  expiredAgain: 'Be om en ny länk',

  errorTitleRetry: 'Försök igen',
  errorTitleSlowDown: 'Ta det lugnt',
  errorTitleProblem: 'Problem med inloggningen',
  errorBack: 'Tillbaka till inloggningen',

  errBadRequest: 'Begäran kunde inte tolkas.',
  errBadEmail: 'Ange en giltig e-postadress.',
  errBodyTooLarge: 'Begäran var för stor.',
  errCrossSite: 'Den här begäran kom från en annan webbplats och nekades.',
  errStateInvalid: 'Inloggningslänken är inte giltig.',
  errExpired: 'Inloggningslänken har slutat gälla eller har redan använts.',
  errCodeInvalid: 'Koden stämmer inte, eller så har den slutat gälla.',
  errCodeLocked: 'För många felaktiga koder. Använd länken i mejlet eller be om en ny.',
  errCrossDeviceDenied: 'Öppna länken i webbläsaren där du bad om den.',
  errSignInRefused: 'Det här kontot kan inte logga in.',
  errRateLimited: 'För många förfrågningar. Vänta en stund och försök sedan igen.',
  errProviderUnavailable:
    'Vi fick inte kontakt med inloggningstjänsten. Försök igen om en liten stund.',
  errMailFailed: 'Vi kunde inte skicka mejlet. Försök igen om en liten stund.',
  errTryAgain: 'Inloggningen är tillfälligt otillgänglig. Försök igen om en liten stund.',
  errNotFound: 'Hittades inte.',
  errHumanCheckFailed: 'Slutför kontrollen av att du är en människa och försök sedan igen.',
  errHumanCheckUnavailable:
    'Vi kunde inte kontrollera att du är en människa. Försök igen om en liten stund.',

  emailSubject: 'Logga in på {appName}',
  emailButton: 'Logga in på {appName}',
  emailIntroText:
    'Öppna den här länken för att logga in på {appName}. Den slutar gälla om {expiresIn} och fungerar en gång.',
  emailIntroHtml:
    'Använd knappen nedan för att logga in på {appName}. Länken slutar gälla om {expiresIn} och fungerar en gång.',
  emailOrOpen: 'Eller öppna den här länken:',
  emailOrCode:
    'Eller skriv den här koden på inloggningssidan, i webbläsaren där du bad om att logga in:',
  emailCodeLabel: 'Inloggningskod: {code}',
  emailIgnore: 'Om du inte bad om att logga in kan du bortse från det här mejlet.',
  emailSentTo: 'Det här mejlet skickades till {email}.',
  expiresLessThanMinute: 'mindre än en minut',
  // Passkeys
  errPasskeyInvalid: 'Den nyckeln kunde inte användas. Försök igen eller logga in med din e-post.',
  errUnauthenticated: 'Logga in för att fortsätta.',
  errReauthenticationRequired: 'Bekräfta att det är du för att fortsätta.',
  passkeySignIn: 'Logga in med en nyckel',
  passkeyOfferTitle: 'Logga in snabbare nästa gång',
  passkeyOfferBody:
    'Lägg till en nyckel och logga in på {appName} nästa gång med fingeravtryck, ansikte eller skärmlås, utan att vänta på ett e-postmeddelande.',
  passkeyOfferAdd: 'Lägg till en nyckel',
  passkeyOfferSkip: 'Inte nu',
  passkeyNeedsScript: 'Nycklar kräver JavaScript. Du kan alltid logga in med din e-post.',
  passkeyManageTitle: 'Dina nycklar',
  passkeyManageEmpty: 'Du har inga nycklar än.',
  passkeyManageAdd: 'Lägg till en nyckel',
  passkeyCreated: 'Tillagd {date}',
  passkeyLastUsed: 'Senast använd {date}',
  passkeyNeverUsed: 'Aldrig använd',
  passkeyNameLabel: 'Namn',
  passkeyRename: 'Byt namn',
  passkeyRemove: 'Ta bort',
  reauthTitle: 'Bekräfta att det är du',
  reauthBody: 'För din säkerhet: bekräfta att det är du innan du fortsätter.',
  reauthPasskey: 'Använd min nyckel',
  reauthEmail: 'Skicka en kod till {email}',
};
