import type { Messages } from './en';

export const ptBR: Messages = {
  signInTitle: 'Entrar em {appName}',
  signInEmailLabel: 'Endereço de e-mail',
  signInSubmit: 'Enviar link de acesso por e-mail',
  signInNote: 'Vamos enviar para seu e-mail um link que faz o login. Sem senha.',

  sentTitle: 'Confira seu e-mail',
  sentBodyLink:
    'Se esse endereço puder entrar em {appName}, enviamos um link para ele. Abra o link neste navegador para continuar.',
  sentBodyCode:
    'Se esse endereço puder entrar em {appName}, enviamos um código de 6 dígitos para ele. Digite o código abaixo, neste navegador.',
  sentCodeLabelOnly: 'O código de 6 dígitos do e-mail',
  sentCodeLabelOr: 'Ou digite o código de 6 dígitos do e-mail',
  sentCodeLabelRelay:
    'Abriu o link em outro dispositivo? Digite o código de 6 dígitos que ele mostra',
  sentRelayHint: 'ou o que apareceu onde você abriu o link, se foi em outro dispositivo.',
  sentSubmitCode: 'Entrar com o código',
  sentFooterLink: 'O link expira em poucos minutos. Não chegou nada? Verifique o spam ou {link}.',
  sentFooterCode: 'O código expira em poucos minutos. Não chegou nada? Verifique o spam ou {link}.',
  sentAnotherLink: 'peça outro link',
  sentAnotherCode: 'peça outro código',

  confirmTitle: 'Continuar o login?',
  confirmBody:
    'Você está prestes a entrar em {appName} como {email} neste navegador. Confira se esse é o seu endereço.',
  confirmSignedInAs:
    'Este navegador está conectado como {current}. Se continuar, ele passará a estar conectado como {email}.',
  confirmNotYou:
    'Se você não pediu este link, feche esta página. Nada acontece até você apertar o botão.',
  confirmSubmit: 'Continuar o login',

  relayTitle: 'Termine o login no outro navegador',
  relayBody: 'Digite este código no navegador em que você pediu para entrar em {appName}:',
  relayWarning:
    'Este navegador continua desconectado. Se você não pediu para entrar, feche esta página e não passe o código para ninguém: {appName} nunca pede o código por telefone, chat ou e-mail.',
  relayHere: 'Prefere entrar neste dispositivo? {link}.',
  relayHereLink: 'Peça um link aqui',

  deniedTitle: 'Abra o link no mesmo navegador',
  deniedHeading: 'Abra o link no navegador que você usou',
  deniedBody:
    'Para sua segurança, {appName} só aceita este link no navegador em que você fez o pedido.',
  deniedCode: 'Você também pode digitar nesse navegador o código de 6 dígitos do e-mail.',
  deniedAgain: 'Peça um novo link neste navegador',

  expiredTitle: 'Este link expirou',
  expiredHeading: 'Este link expirou ou já foi usado',
  expiredBody: 'Os links de acesso funcionam uma única vez e por pouco tempo.',
  expiredResend: 'Enviar um novo link por e-mail',
  expiredAgain: 'Peça um novo link',

  errorTitleRetry: 'Tente novamente',
  errorTitleSlowDown: 'Calma aí',
  errorTitleProblem: 'Problema ao entrar',
  errorBack: 'Voltar para o login',

  errBadRequest: 'Não entendemos a solicitação.',
  errBadEmail: 'Digite um endereço de e-mail válido.',
  errBodyTooLarge: 'A solicitação era grande demais.',
  errCrossSite: 'Esta solicitação veio de outro site e foi recusada.',
  errStateInvalid: 'Este link de acesso não é válido.',
  errExpired: 'Este link de acesso expirou ou já foi usado.',
  errCodeInvalid: 'Esse código está incorreto ou expirou.',
  errCodeLocked: 'Muitos códigos errados. Use o link do e-mail ou peça um novo.',
  errCrossDeviceDenied: 'Abra o link no navegador em que você fez o pedido.',
  errSignInRefused: 'Esta conta não pode entrar.',
  errRateLimited: 'Muitas solicitações. Aguarde um pouco e tente novamente.',
  errProviderUnavailable:
    'Não conseguimos acessar o serviço de login. Tente novamente em instantes.',
  errMailFailed: 'Não conseguimos enviar o e-mail. Tente novamente em instantes.',
  errTryAgain: 'O login está temporariamente indisponível. Tente novamente em instantes.',
  errNotFound: 'Não encontrado.',
  errHumanCheckFailed: 'Conclua a verificação de que você é humano e tente novamente.',
  errHumanCheckUnavailable:
    'Não conseguimos verificar que você é humano. Tente novamente em instantes.',

  emailSubject: 'Entre em {appName}',
  emailButton: 'Entrar em {appName}',
  emailIntroText:
    'Abra este link para entrar em {appName}. Ele expira em {expiresIn} e só funciona uma vez.',
  emailIntroHtml:
    'Use o botão abaixo para entrar em {appName}. O link expira em {expiresIn} e só funciona uma vez.',
  emailOrOpen: 'Ou abra este link:',
  emailOrCode: 'Ou digite este código na página de login, no navegador em que você fez o pedido:',
  emailCodeLabel: 'Código de acesso: {code}',
  emailIgnore: 'Se você não pediu para entrar, pode ignorar este e-mail.',
  emailSentTo: 'Este e-mail foi enviado para {email}.',
  expiresLessThanMinute: 'menos de um minuto',
  // Passkeys
  errPasskeyInvalid:
    'Não foi possível usar essa chave de acesso. Tente de novo ou entre com seu e-mail.',
  errUnauthenticated: 'Entre para continuar.',
  errReauthenticationRequired: 'Confirme que é você para continuar.',
  passkeySignIn: 'Entrar com uma chave de acesso',
  passkeyOfferTitle: 'Entre mais rápido da próxima vez',
  passkeyOfferBody:
    'Adicione uma chave de acesso e, da próxima vez, entre no {appName} com sua digital, seu rosto ou o bloqueio de tela, sem esperar um e-mail.',
  passkeyOfferAdd: 'Adicionar uma chave de acesso',
  passkeyOfferSkip: 'Agora não',
  passkeyNeedsScript:
    'Chaves de acesso precisam de JavaScript. Você sempre pode entrar com seu e-mail.',
  passkeyManageTitle: 'Suas chaves de acesso',
  passkeyManageEmpty: 'Você ainda não tem chaves de acesso.',
  passkeyManageAdd: 'Adicionar uma chave de acesso',
  passkeyCreated: 'Adicionada em {date}',
  passkeyLastUsed: 'Usada pela última vez em {date}',
  passkeyNeverUsed: 'Nunca usada',
  passkeyNameLabel: 'Nome',
  passkeyRename: 'Renomear',
  passkeyRemove: 'Remover',
  reauthTitle: 'Confirme que é você',
  reauthBody: 'Para sua segurança, confirme que é você antes de continuar.',
  reauthPasskey: 'Usar minha chave de acesso',
  reauthEmail: 'Enviar um código para {email}',
};
