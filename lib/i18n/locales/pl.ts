import type { Messages } from './en';

export const pl: Messages = {
  signInTitle: 'Zaloguj się do {appName}',
  signInEmailLabel: 'Adres e-mail',
  signInSubmit: 'Wyślij mi link do logowania',
  signInNote: 'Wyślemy Ci e-mailem link, który Cię zaloguje. Bez hasła.',

  sentTitle: 'Sprawdź skrzynkę',
  sentBodyLink:
    'Jeśli ten adres może logować się do {appName}, wysłaliśmy na niego link. Otwórz go w tej przeglądarce, aby kontynuować.',
  sentBodyCode:
    'Jeśli ten adres może logować się do {appName}, wysłaliśmy na niego 6-cyfrowy kod. Wpisz go poniżej, w tej przeglądarce.',
  sentCodeLabelOnly: '6-cyfrowy kod z e-maila',
  sentCodeLabelOr: 'Albo wpisz 6-cyfrowy kod z e-maila',
  sentCodeLabelRelay:
    'Link otwarty na innym urządzeniu? Wpisz 6-cyfrowy kod, który się tam wyświetlił',
  sentRelayHint:
    'albo ten, który wyświetlił się tam, gdzie otwarto link, jeśli było to inne urządzenie.',
  sentSubmitCode: 'Zaloguj się kodem',
  sentFooterLink: 'Link wygaśnie za kilka minut. Nic nie dotarło? Sprawdź folder spam albo {link}.',
  sentFooterCode: 'Kod wygaśnie za kilka minut. Nic nie dotarło? Sprawdź folder spam albo {link}.',
  sentAnotherLink: 'poproś o nowy link',
  sentAnotherCode: 'poproś o nowy kod',

  confirmTitle: 'Kontynuować logowanie?',
  confirmBody:
    'Za chwilę zalogujesz się do {appName} jako {email} w tej przeglądarce. Sprawdź, czy to Twój adres.',
  confirmSignedInAs:
    'Ta przeglądarka jest zalogowana jako {current}. Jeśli przejdziesz dalej, zostanie zalogowana jako {email}.',
  confirmNotYou:
    'Jeśli nie prosisz o ten link, zamknij tę stronę. Nic się nie stanie, dopóki nie naciśniesz przycisku.',
  confirmSubmit: 'Kontynuuj logowanie',

  relayTitle: 'Dokończ logowanie w drugiej przeglądarce',
  relayBody: 'Wpisz ten kod w przeglądarce, w której prosisz o zalogowanie do {appName}:',
  relayWarning:
    'Ta przeglądarka pozostanie wylogowana. Jeśli to nie Ty prosisz o logowanie, zamknij tę stronę i nikomu nie podawaj kodu: {appName} nigdy nie prosi o niego telefonicznie, na czacie ani e-mailem.',
  relayHere: 'Wolisz zalogować się na tym urządzeniu? {link}.',
  relayHereLink: 'Poproś tutaj o link',

  deniedTitle: 'Otwórz link w tej samej przeglądarce',
  deniedHeading: 'Otwórz link w przeglądarce, której użyto do logowania',
  deniedBody:
    'Dla Twojego bezpieczeństwa {appName} przyjmuje ten link tylko w przeglądarce, w której o niego poproszono.',
  deniedCode: 'W tamtej przeglądarce możesz też wpisać 6-cyfrowy kod z e-maila.',
  deniedAgain: 'Poproś o nowy link w tej przeglądarce',

  expiredTitle: 'Ten link wygasł',
  expiredHeading: 'Ten link wygasł lub został już użyty',
  expiredBody: 'Linki do logowania działają tylko raz i przez krótki czas.',
  expiredResend: 'Wyślij mi nowy link',
  expiredAgain: 'Poproś o nowy link',

  errorTitleRetry: 'Spróbuj ponownie',
  errorTitleSlowDown: 'Zwolnij',
  errorTitleProblem: 'Problem z logowaniem',
  errorBack: 'Wróć do logowania',

  errBadRequest: 'Nie udało się zrozumieć żądania.',
  errBadEmail: 'Wpisz poprawny adres e-mail.',
  errBodyTooLarge: 'Żądanie było zbyt duże.',
  errCrossSite: 'To żądanie pochodziło z innej witryny i zostało odrzucone.',
  errStateInvalid: 'Ten link do logowania jest nieprawidłowy.',
  errExpired: 'Ten link do logowania wygasł lub został już użyty.',
  errCodeInvalid: 'Ten kod jest błędny lub wygasł.',
  errCodeLocked: 'Zbyt wiele błędnych kodów. Użyj linku z e-maila albo poproś o nowy.',
  errCrossDeviceDenied: 'Otwórz link w przeglądarce, w której o niego poproszono.',
  errSignInRefused: 'To konto nie może się zalogować.',
  errRateLimited: 'Zbyt wiele żądań. Odczekaj chwilę i spróbuj ponownie.',
  errProviderUnavailable: 'Nie udało się połączyć z usługą logowania. Spróbuj ponownie za chwilę.',
  errMailFailed: 'Nie udało się wysłać e-maila. Spróbuj ponownie za chwilę.',
  errTryAgain: 'Logowanie jest chwilowo niedostępne. Spróbuj ponownie za chwilę.',
  errNotFound: 'Nie znaleziono.',
  errHumanCheckFailed: 'Potwierdź, że nie jesteś robotem, i spróbuj ponownie.',
  errHumanCheckUnavailable:
    'Nie udało się sprawdzić, czy nie jesteś robotem. Spróbuj ponownie za chwilę.',

  emailSubject: 'Zaloguj się do {appName}',
  emailButton: 'Zaloguj się do {appName}',
  emailIntroText:
    'Otwórz ten link, aby zalogować się do {appName}. Link działa tylko raz. Pozostały czas ważności: {expiresIn}.',
  emailIntroHtml:
    'Użyj przycisku poniżej, aby zalogować się do {appName}. Link działa tylko raz. Pozostały czas ważności: {expiresIn}.',
  emailOrOpen: 'Albo otwórz ten link:',
  emailOrCode:
    'Albo wpisz ten kod na stronie logowania, w przeglądarce, w której prosisz o zalogowanie:',
  emailCodeLabel: 'Kod logowania: {code}',
  emailIgnore: 'Jeśli nie prosisz o zalogowanie, zignoruj tę wiadomość.',
  emailSentTo: 'Ta wiadomość została wysłana na adres {email}.',
  expiresLessThanMinute: 'mniej niż minuta',
  // Passkeys
  errPasskeyInvalid:
    'Nie udało się użyć tego klucza dostępu. Spróbuj ponownie albo zaloguj się przez e-mail.',
  errUnauthenticated: 'Zaloguj się, aby kontynuować.',
  errReauthenticationRequired: 'Potwierdź, że to Ty, aby kontynuować.',
  passkeySignIn: 'Zaloguj się kluczem dostępu',
  passkeyOfferTitle: 'Następnym razem zaloguj się szybciej',
  passkeyOfferBody:
    'Dodaj klucz dostępu i następnym razem loguj się do {appName} odciskiem palca, twarzą lub blokadą ekranu, bez czekania na e-mail.',
  passkeyOfferAdd: 'Dodaj klucz dostępu',
  passkeyOfferSkip: 'Nie teraz',
  passkeyNeedsScript:
    'Klucze dostępu wymagają JavaScriptu. Zawsze możesz zalogować się przez e-mail.',
  passkeyManageTitle: 'Twoje klucze dostępu',
  passkeyManageEmpty: 'Nie masz jeszcze kluczy dostępu.',
  passkeyManageAdd: 'Dodaj klucz dostępu',
  passkeyCreated: 'Dodano {date}',
  passkeyLastUsed: 'Ostatnio użyty {date}',
  passkeyNeverUsed: 'Nigdy nieużyty',
  passkeyNameLabel: 'Nazwa',
  passkeyRename: 'Zmień nazwę',
  passkeyRemove: 'Usuń',
  reauthTitle: 'Potwierdź, że to Ty',
  reauthBody: 'Dla Twojego bezpieczeństwa potwierdź, że to Ty, zanim przejdziesz dalej.',
  reauthPasskey: 'Użyj mojego klucza dostępu',
  reauthEmail: 'Wyślij kod na {email}',
};
