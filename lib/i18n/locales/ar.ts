import type { Messages } from './en';

export const ar: Messages = {
  signInTitle: 'تسجيل الدخول إلى {appName}',
  signInEmailLabel: 'البريد الإلكتروني',
  signInSubmit: 'أرسل لي رابط تسجيل الدخول',
  signInNote: 'سنرسل إليك رابطًا بالبريد الإلكتروني لتسجيل الدخول، دون الحاجة إلى كلمة مرور.',

  sentTitle: 'تحقّق من بريدك الإلكتروني',
  sentBodyLink:
    'إذا كان بإمكان هذا العنوان تسجيل الدخول إلى {appName}، فقد أرسلنا إليه رابطًا. افتحه في هذا المتصفح للمتابعة.',
  sentBodyCode:
    'إذا كان بإمكان هذا العنوان تسجيل الدخول إلى {appName}، فقد أرسلنا إليه رمزًا من 6 أرقام. اكتبه أدناه، في هذا المتصفح.',
  sentCodeLabelOnly: 'الرمز المكوّن من 6 أرقام الوارد في الرسالة',
  sentCodeLabelOr: 'أو اكتب الرمز المكوّن من 6 أرقام الوارد في الرسالة',
  sentCodeLabelRelay: 'هل فتحت الرابط على جهاز آخر؟ اكتب الرمز المكوّن من 6 أرقام الظاهر عليه',
  sentRelayHint: 'أو الرمز الظاهر حيث فتحت الرابط، إن كان ذلك على جهاز آخر.',
  sentSubmitCode: 'تسجيل الدخول بالرمز',
  sentFooterLink:
    'تنتهي صلاحية الرابط خلال بضع دقائق. لم يصلك شيء؟ تحقّق من مجلد الرسائل غير المرغوب فيها، أو {link}.',
  sentFooterCode:
    'تنتهي صلاحية الرمز خلال بضع دقائق. لم يصلك شيء؟ تحقّق من مجلد الرسائل غير المرغوب فيها، أو {link}.',
  sentAnotherLink: 'اطلب رابطًا آخر',
  sentAnotherCode: 'اطلب رمزًا آخر',

  confirmTitle: 'هل تريد متابعة تسجيل الدخول؟',
  confirmBody:
    'أنت على وشك تسجيل الدخول إلى {appName} باسم {email} في هذا المتصفح. تأكّد من أن هذا عنوانك.',
  confirmSignedInAs:
    'هذا المتصفح مسجَّل الدخول باسم {current}. عند المتابعة سيُسجَّل الدخول باسم {email} بدلًا منه.',
  confirmNotYou: 'إذا لم تطلب هذا الرابط، فأغلق هذه الصفحة. لن يحدث شيء ما لم تضغط على الزر.',
  confirmSubmit: 'متابعة تسجيل الدخول',

  relayTitle: 'أكمل تسجيل الدخول في المتصفح الآخر',
  relayBody: 'اكتب هذا الرمز في المتصفح الذي طلبت منه تسجيل الدخول إلى {appName}:',
  relayWarning:
    'سيبقى هذا المتصفح غير مسجَّل الدخول. إذا لم تطلب تسجيل الدخول، فأغلق هذه الصفحة ولا تعطِ الرمز لأحد: لن يطلبه {appName} منك أبدًا عبر الهاتف أو الدردشة أو البريد الإلكتروني.',
  relayHere: 'هل تفضّل تسجيل الدخول على هذا الجهاز؟ {link}.',
  relayHereLink: 'اطلب رابطًا من هنا',

  deniedTitle: 'افتح الرابط في المتصفح نفسه',
  deniedHeading: 'افتح الرابط في المتصفح الذي استخدمته',
  deniedBody: 'حفاظًا على أمانك، لا يقبل {appName} هذا الرابط إلا في المتصفح الذي طلبته منه.',
  deniedCode: 'يمكنك أيضًا كتابة الرمز المكوّن من 6 أرقام الوارد في الرسالة في ذلك المتصفح.',
  deniedAgain: 'اطلب رابطًا جديدًا في هذا المتصفح',

  expiredTitle: 'انتهت صلاحية هذا الرابط',
  expiredHeading: 'انتهت صلاحية هذا الرابط أو سبق استخدامه',
  expiredBody: 'تعمل روابط تسجيل الدخول مرة واحدة فقط ولمدة قصيرة.',
  expiredResend: 'أرسل لي رابطًا جديدًا',
  expiredAgain: 'اطلب رابطًا جديدًا',

  errorTitleRetry: 'يُرجى المحاولة مرة أخرى',
  errorTitleSlowDown: 'تمهّل قليلًا',
  errorTitleProblem: 'مشكلة في تسجيل الدخول',
  errorBack: 'العودة إلى تسجيل الدخول',

  errBadRequest: 'تعذّر فهم الطلب.',
  errBadEmail: 'أدخل عنوان بريد إلكتروني صالحًا.',
  errBodyTooLarge: 'الطلب كبير جدًا.',
  errCrossSite: 'ورد هذا الطلب من موقع آخر فرُفض.',
  errStateInvalid: 'رابط تسجيل الدخول هذا غير صالح.',
  errExpired: 'انتهت صلاحية رابط تسجيل الدخول هذا أو سبق استخدامه.',
  errCodeInvalid: 'هذا الرمز غير صحيح أو انتهت صلاحيته.',
  errCodeLocked: 'أُدخلت رموز خاطئة كثيرة. استخدم الرابط الوارد في الرسالة، أو اطلب رمزًا جديدًا.',
  errCrossDeviceDenied: 'افتح الرابط في المتصفح الذي طلبته منه.',
  errSignInRefused: 'لا يمكن لهذا الحساب تسجيل الدخول.',
  errRateLimited: 'طلبات كثيرة جدًا. انتظر قليلًا ثم حاول مرة أخرى.',
  errProviderUnavailable: 'تعذّر الوصول إلى خدمة تسجيل الدخول. حاول مرة أخرى بعد لحظات.',
  errMailFailed: 'تعذّر إرسال الرسالة. حاول مرة أخرى بعد لحظات.',
  errTryAgain: 'تسجيل الدخول غير متاح مؤقتًا. حاول مرة أخرى بعد لحظات.',
  errNotFound: 'غير موجود.',
  errHumanCheckFailed: 'أكمل التحقق من أنك إنسان، ثم حاول مرة أخرى.',
  errHumanCheckUnavailable: 'تعذّر علينا التحقق من أنك إنسان. حاول مرة أخرى بعد لحظات.',

  emailSubject: 'تسجيل الدخول إلى {appName}',
  emailButton: 'تسجيل الدخول إلى {appName}',
  emailIntroText:
    'افتح هذا الرابط لتسجيل الدخول إلى {appName}. يعمل مرة واحدة فقط، ومدة صلاحيته: {expiresIn}.',
  emailIntroHtml:
    'استخدم الزر أدناه لتسجيل الدخول إلى {appName}. يعمل الرابط مرة واحدة فقط، ومدة صلاحيته: {expiresIn}.',
  emailOrOpen: 'أو افتح هذا الرابط:',
  emailOrCode: 'أو أدخل هذا الرمز في صفحة تسجيل الدخول، في المتصفح الذي طلبت منه تسجيل الدخول:',
  emailCodeLabel: 'رمز تسجيل الدخول: {code}',
  emailIgnore: 'إذا لم تطلب تسجيل الدخول، يمكنك تجاهل هذه الرسالة.',
  emailSentTo: 'أُرسلت هذه الرسالة إلى {email}.',
  expiresLessThanMinute: 'أقل من دقيقة',
  // Passkeys
  errPasskeyInvalid:
    'تعذّر استخدام مفتاح المرور هذا. حاول مرة أخرى، أو سجّل الدخول ببريدك الإلكتروني.',
  errUnauthenticated: 'سجّل الدخول للمتابعة.',
  errReauthenticationRequired: 'أكّد أنك أنت للمتابعة.',
  passkeySignIn: 'تسجيل الدخول بمفتاح مرور',
  passkeyOfferTitle: 'سجّل الدخول أسرع في المرة القادمة',
  passkeyOfferBody:
    'أضف مفتاح مرور لتسجّل الدخول إلى {appName} في المرة القادمة ببصمتك أو وجهك أو قفل الشاشة، دون انتظار بريد إلكتروني.',
  passkeyOfferAdd: 'إضافة مفتاح مرور',
  passkeyOfferSkip: 'ليس الآن',
  passkeyNeedsScript:
    'تحتاج مفاتيح المرور إلى JavaScript. يمكنك دائمًا تسجيل الدخول ببريدك الإلكتروني.',
  passkeyManageTitle: 'مفاتيح المرور الخاصة بك',
  passkeyManageEmpty: 'ليس لديك مفاتيح مرور بعد.',
  passkeyManageAdd: 'إضافة مفتاح مرور',
  passkeyCreated: 'أُضيف في {date}',
  passkeyLastUsed: 'آخر استخدام في {date}',
  passkeyNeverUsed: 'لم يُستخدم قط',
  passkeyNameLabel: 'الاسم',
  passkeyRename: 'إعادة التسمية',
  passkeyRemove: 'إزالة',
  reauthTitle: 'أكّد أنك أنت',
  reauthBody: 'لأمانك، أكّد أنك أنت قبل المتابعة.',
  reauthPasskey: 'استخدام مفتاح المرور',
  reauthEmail: 'إرسال رمز إلى {email}',
};
