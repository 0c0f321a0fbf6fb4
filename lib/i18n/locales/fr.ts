import type { Messages } from './en';

export const fr: Messages = {
  signInTitle: 'Se connecter à {appName}',
  signInEmailLabel: 'Adresse e-mail',
  signInSubmit: 'Recevoir un lien de connexion',
  signInNote: 'Nous vous enverrons par e-mail un lien qui vous connecte. Aucun mot de passe.',

  sentTitle: 'Consultez vos e-mails',
  sentBodyLink:
    'Si cette adresse peut se connecter à {appName}, nous venons de lui envoyer un lien. Ouvrez-le dans ce navigateur pour continuer.',
  sentBodyCode:
    'Si cette adresse peut se connecter à {appName}, nous venons de lui envoyer un code à 6 chiffres. Saisissez-le ci-dessous, dans ce navigateur.',
  sentCodeLabelOnly: 'Le code à 6 chiffres reçu par e-mail',
  sentCodeLabelOr: 'Ou saisissez le code à 6 chiffres reçu par e-mail',
  sentCodeLabelRelay:
    'Vous avez ouvert le lien sur un autre appareil ? Saisissez le code à 6 chiffres qu’il affiche',
  sentRelayHint: 'ou celui affiché là où vous avez ouvert le lien, si c’était un autre appareil.',
  sentSubmitCode: 'Se connecter avec le code',
  sentFooterLink:
    'Le lien expire dans quelques minutes. Rien reçu ? Vérifiez vos spams, ou {link}.',
  sentFooterCode:
    'Le code expire dans quelques minutes. Rien reçu ? Vérifiez vos spams, ou {link}.',
  sentAnotherLink: 'demandez un nouveau lien',
  sentAnotherCode: 'demandez un nouveau code',

  confirmTitle: 'Poursuivre la connexion ?',
  confirmBody:
    'Vous allez vous connecter à {appName} en tant que {email} dans ce navigateur. Vérifiez qu’il s’agit bien de votre adresse.',
  confirmSignedInAs:
    'Ce navigateur est connecté en tant que {current}. En continuant, il sera connecté en tant que {email} à la place.',
  confirmNotYou:
    'Si vous n’avez pas demandé ce lien, fermez cette page. Rien ne se passe tant que vous n’appuyez pas sur le bouton.',
  confirmSubmit: 'Poursuivre la connexion',

  relayTitle: 'Terminez la connexion dans l’autre navigateur',
  relayBody:
    'Saisissez ce code dans le navigateur depuis lequel vous avez demandé à vous connecter à {appName} :',
  relayWarning:
    'Ce navigateur reste déconnecté. Si vous n’avez rien demandé, fermez cette page et ne donnez ce code à personne : {appName} ne vous le demandera jamais par téléphone, messagerie ou e-mail.',
  relayHere: 'Vous préférez vous connecter sur cet appareil ? {link}.',
  relayHereLink: 'Demandez un lien ici',

  deniedTitle: 'Ouvrez le lien dans le même navigateur',
  deniedHeading: 'Ouvrez le lien dans le navigateur utilisé pour la demande',
  deniedBody:
    'Pour votre sécurité, {appName} n’accepte ce lien que dans le navigateur où vous l’avez demandé.',
  deniedCode: 'Vous pouvez aussi saisir dans ce navigateur le code à 6 chiffres reçu par e-mail.',
  deniedAgain: 'Demander un nouveau lien dans ce navigateur',

  expiredTitle: 'Ce lien a expiré',
  expiredHeading: 'Ce lien a expiré ou a déjà été utilisé',
  expiredBody: 'Les liens de connexion ne servent qu’une fois, et pour peu de temps.',
  expiredResend: 'Recevoir un nouveau lien',
  expiredAgain: 'Demander un nouveau lien',

  errorTitleRetry: 'Veuillez réessayer',
  errorTitleSlowDown: 'Pas si vite',
  errorTitleProblem: 'Problème de connexion',
  errorBack: 'Retour à la connexion',

  errBadRequest: 'La requête n’a pas été comprise.',
  errBadEmail: 'Saisissez une adresse e-mail valide.',
  errBodyTooLarge: 'La requête était trop volumineuse.',
  errCrossSite: 'Cette requête venait d’un autre site et a été refusée.',
  errStateInvalid: 'Ce lien de connexion n’est pas valide.',
  errExpired: 'Ce lien de connexion a expiré ou a déjà été utilisé.',
  errCodeInvalid: 'Ce code est incorrect ou a expiré.',
  errCodeLocked: 'Trop de codes erronés. Utilisez le lien de l’e-mail, ou demandez-en un nouveau.',
  errCrossDeviceDenied: 'Ouvrez le lien dans le navigateur où vous l’avez demandé.',
  errSignInRefused: 'Ce compte ne peut pas se connecter.',
  errRateLimited: 'Trop de demandes. Patientez un peu, puis réessayez.',
  errProviderUnavailable: 'Le service de connexion est injoignable. Réessayez dans un instant.',
  errMailFailed: 'Nous n’avons pas pu envoyer l’e-mail. Réessayez dans un instant.',
  errTryAgain: 'La connexion est momentanément indisponible. Réessayez dans un instant.',
  errNotFound: 'Page introuvable.',
  errHumanCheckFailed: 'Effectuez la vérification anti-robot, puis réessayez.',
  errHumanCheckUnavailable:
    'Nous n’avons pas pu vérifier que vous n’êtes pas un robot. Réessayez dans un instant.',

  emailSubject: 'Connexion à {appName}',
  emailButton: 'Se connecter à {appName}',
  emailIntroText:
    'Ouvrez ce lien pour vous connecter à {appName}. Il expire dans {expiresIn} et ne sert qu’une fois.',
  emailIntroHtml:
    'Utilisez le bouton ci-dessous pour vous connecter à {appName}. Il expire dans {expiresIn} et ne sert qu’une fois.',
  emailOrOpen: 'Ou ouvrez ce lien :',
  emailOrCode:
    'Ou saisissez ce code sur la page de connexion, dans le navigateur où vous l’avez demandé :',
  emailCodeLabel: 'Code de connexion : {code}',
  emailIgnore: 'Si vous n’avez pas demandé à vous connecter, ignorez simplement cet e-mail.',
  emailSentTo: 'Cet e-mail a été envoyé à {email}.',
  expiresLessThanMinute: 'moins d’une minute',
  // Passkeys
  errPasskeyInvalid:
    'Cette clé d’accès n’a pas pu être utilisée. Réessayez, ou connectez-vous avec votre e-mail.',
  errUnauthenticated: 'Connectez-vous pour continuer.',
  errReauthenticationRequired: 'Confirmez que c’est bien vous pour continuer.',
  passkeySignIn: 'Se connecter avec une clé d’accès',
  passkeyOfferTitle: 'Connectez-vous plus vite la prochaine fois',
  passkeyOfferBody:
    'Ajoutez une clé d’accès : la prochaine fois, connectez-vous à {appName} avec votre empreinte, votre visage ou le verrouillage de l’écran, sans attendre d’e-mail.',
  passkeyOfferAdd: 'Ajouter une clé d’accès',
  passkeyOfferSkip: 'Pas maintenant',
  passkeyNeedsScript:
    'Les clés d’accès ont besoin de JavaScript. Vous pouvez toujours vous connecter avec votre e-mail.',
  passkeyManageTitle: 'Vos clés d’accès',
  passkeyManageEmpty: 'Vous n’avez pas encore de clé d’accès.',
  passkeyManageAdd: 'Ajouter une clé d’accès',
  passkeyCreated: 'Ajoutée le {date}',
  passkeyLastUsed: 'Dernière utilisation le {date}',
  passkeyNeverUsed: 'Jamais utilisée',
  passkeyNameLabel: 'Nom',
  passkeyRename: 'Renommer',
  passkeyRemove: 'Supprimer',
  reauthTitle: 'Confirmez que c’est bien vous',
  reauthBody: 'Pour votre sécurité, confirmez que c’est bien vous avant de continuer.',
  reauthPasskey: 'Utiliser ma clé d’accès',
  reauthEmail: 'Envoyer un code à {email}',
};
