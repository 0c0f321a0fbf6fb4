import type { Messages } from './en';

export const es: Messages = {
  signInTitle: 'Inicia sesión en {appName}',
  signInEmailLabel: 'Correo electrónico',
  signInSubmit: 'Envíame un enlace de acceso',
  signInNote: 'Te enviaremos por correo un enlace para entrar. Sin contraseñas.',

  sentTitle: 'Revisa tu correo',
  sentBodyLink:
    'Si esa dirección puede iniciar sesión en {appName}, le hemos enviado un enlace. Ábrelo en este navegador para continuar.',
  sentBodyCode:
    'Si esa dirección puede iniciar sesión en {appName}, le hemos enviado un código de 6 dígitos. Escríbelo abajo, en este navegador.',
  sentCodeLabelOnly: 'El código de 6 dígitos del correo',
  sentCodeLabelOr: 'O escribe el código de 6 dígitos del correo',
  sentCodeLabelRelay:
    '¿Abriste el enlace en otro dispositivo? Escribe el código de 6 dígitos que muestra',
  sentRelayHint: 'o el que aparece donde abriste el enlace, si fue en otro dispositivo.',
  sentSubmitCode: 'Entrar con el código',
  sentFooterLink:
    'El enlace caduca en pocos minutos. ¿No ha llegado nada? Revisa la carpeta de spam o {link}.',
  sentFooterCode:
    'El código caduca en pocos minutos. ¿No ha llegado nada? Revisa la carpeta de spam o {link}.',
  sentAnotherLink: 'pide otro enlace',
  sentAnotherCode: 'pide otro código',

  confirmTitle: '¿Continuar con el inicio de sesión?',
  confirmBody:
    'Vas a iniciar sesión en {appName} como {email} en este navegador. Comprueba que es tu dirección.',
  confirmSignedInAs:
    'Este navegador tiene una sesión abierta como {current}. Si continúas, pasará a ser {email}.',
  confirmNotYou:
    'Si no has pedido este enlace, cierra esta página. No pasará nada hasta que pulses el botón.',
  confirmSubmit: 'Continuar',

  relayTitle: 'Termina de iniciar sesión en el otro navegador',
  relayBody: 'Escribe este código en el navegador donde pediste entrar en {appName}:',
  relayWarning:
    'Este navegador seguirá sin sesión. Si no has pedido entrar, cierra esta página y no des el código a nadie: {appName} nunca te lo pedirá por teléfono, chat ni correo.',
  relayHere: '¿Prefieres entrar desde este dispositivo? {link}.',
  relayHereLink: 'Pide un enlace aquí',

  deniedTitle: 'Abre el enlace en el mismo navegador',
  deniedHeading: 'Abre el enlace en el navegador que usaste',
  deniedBody:
    'Por tu seguridad, {appName} solo acepta este enlace en el navegador desde el que lo pediste.',
  deniedCode: 'También puedes escribir en ese navegador el código de 6 dígitos del correo.',
  deniedAgain: 'Pide un enlace nuevo en este navegador',

  expiredTitle: 'Este enlace ha caducado',
  expiredHeading: 'Este enlace ha caducado o ya se ha usado',
  expiredBody: 'Los enlaces de acceso solo funcionan una vez y durante poco tiempo.',
  expiredResend: 'Envíame un enlace nuevo',
  expiredAgain: 'Pide un enlace nuevo',

  errorTitleRetry: 'Vuelve a intentarlo',
  errorTitleSlowDown: 'Más despacio',
  errorTitleProblem: 'Problema al iniciar sesión',
  errorBack: 'Volver al inicio de sesión',

  errBadRequest: 'No hemos entendido la solicitud.',
  errBadEmail: 'Escribe una dirección de correo válida.',
  errBodyTooLarge: 'La solicitud era demasiado grande.',
  errCrossSite: 'Esta solicitud venía de otro sitio y se ha rechazado.',
  errStateInvalid: 'Este enlace de acceso no es válido.',
  errExpired: 'Este enlace de acceso ha caducado o ya se ha usado.',
  errCodeInvalid: 'Ese código no es correcto o ha caducado.',
  errCodeLocked: 'Demasiados códigos incorrectos. Usa el enlace del correo o pide uno nuevo.',
  errCrossDeviceDenied: 'Abre el enlace en el navegador desde el que lo pediste.',
  errSignInRefused: 'Esta cuenta no puede iniciar sesión.',
  errRateLimited: 'Demasiadas solicitudes. Espera un poco y vuelve a intentarlo.',
  errProviderUnavailable:
    'No hemos podido conectar con el servicio de acceso. Inténtalo de nuevo en un momento.',
  errMailFailed: 'No hemos podido enviar el correo. Inténtalo de nuevo en un momento.',
  errTryAgain:
    'El inicio de sesión no está disponible ahora mismo. Inténtalo de nuevo en un momento.',
  errNotFound: 'No encontrado.',
  errHumanCheckFailed: 'Completa la verificación de que eres una persona y vuelve a intentarlo.',
  errHumanCheckUnavailable:
    'No hemos podido verificar que eres una persona. Inténtalo de nuevo en un momento.',

  emailSubject: 'Inicia sesión en {appName}',
  emailButton: 'Entrar en {appName}',
  emailIntroText:
    'Abre este enlace para entrar en {appName}. Caduca en {expiresIn} y solo funciona una vez.',
  emailIntroHtml:
    'Usa el botón de abajo para entrar en {appName}. Caduca en {expiresIn} y solo funciona una vez.',
  emailOrOpen: 'O abre este enlace:',
  emailOrCode:
    'O escribe este código en la página de inicio de sesión, en el navegador desde el que lo pediste:',
  emailCodeLabel: 'Código de acceso: {code}',
  emailIgnore: 'Si no has pedido iniciar sesión, puedes ignorar este correo.',
  emailSentTo: 'Este correo se ha enviado a {email}.',
  expiresLessThanMinute: 'menos de un minuto',
  // Passkeys
  errPasskeyInvalid:
    'No se pudo usar esa llave de acceso. Inténtalo de nuevo o inicia sesión con tu correo.',
  errUnauthenticated: 'Inicia sesión para continuar.',
  errReauthenticationRequired: 'Confirma que eres tú para continuar.',
  passkeySignIn: 'Iniciar sesión con una llave de acceso',
  passkeyOfferTitle: 'Inicia sesión más rápido la próxima vez',
  passkeyOfferBody:
    'Añade una llave de acceso y la próxima vez entra en {appName} con tu huella, tu cara o el bloqueo de pantalla, sin esperar un correo.',
  passkeyOfferAdd: 'Añadir una llave de acceso',
  passkeyOfferSkip: 'Ahora no',
  passkeyNeedsScript:
    'Las llaves de acceso necesitan JavaScript. Siempre puedes iniciar sesión con tu correo.',
  passkeyManageTitle: 'Tus llaves de acceso',
  passkeyManageEmpty: 'Aún no tienes llaves de acceso.',
  passkeyManageAdd: 'Añadir una llave de acceso',
  passkeyCreated: 'Añadida el {date}',
  passkeyLastUsed: 'Usada por última vez el {date}',
  passkeyNeverUsed: 'Nunca usada',
  passkeyNameLabel: 'Nombre',
  passkeyRename: 'Cambiar nombre',
  passkeyRemove: 'Quitar',
  reauthTitle: 'Confirma que eres tú',
  reauthBody: 'Por tu seguridad, confirma que eres tú antes de continuar.',
  reauthPasskey: 'Usar mi llave de acceso',
  reauthEmail: 'Enviar un código a {email}',
};
