import type { Messages } from './en';

export const ja: Messages = {
  signInTitle: '{appName} にログイン',
  signInEmailLabel: 'メールアドレス',
  signInSubmit: 'ログイン用リンクをメールで受け取る',
  signInNote: 'ログイン用のリンクをメールでお送りします。パスワードは不要です。',

  sentTitle: 'メールをご確認ください',
  sentBodyLink:
    'そのアドレスで {appName} にログインできる場合は、リンクをお送りしました。このブラウザーでリンクを開いて続けてください。',
  sentBodyCode:
    'そのアドレスで {appName} にログインできる場合は、6 桁のコードをお送りしました。このブラウザーで下に入力してください。',
  sentCodeLabelOnly: 'メールに記載された 6 桁のコード',
  sentCodeLabelOr: 'またはメールに記載された 6 桁のコードを入力',
  sentCodeLabelRelay:
    '別の端末でリンクを開きましたか？そこに表示された 6 桁のコードを入力してください',
  sentRelayHint: '別の端末でリンクを開いた場合は、そこに表示されたコードでもかまいません。',
  sentSubmitCode: 'コードでログイン',
  sentFooterLink:
    'リンクの有効期限は数分です。届かない場合は迷惑メールフォルダーを確認するか、{link}。',
  sentFooterCode:
    'コードの有効期限は数分です。届かない場合は迷惑メールフォルダーを確認するか、{link}。',
  sentAnotherLink: 'リンクを再送してください',
  sentAnotherCode: 'コードを再送してください',

  confirmTitle: 'ログインを続けますか？',
  confirmBody:
    'このブラウザーで {email} として {appName} にログインしようとしています。ご自身のアドレスか確認してください。',
  confirmSignedInAs:
    'このブラウザーは {current} としてログイン中です。続けると {email} としてログインし直します。',
  confirmNotYou:
    'このリンクに心当たりがない場合は、このページを閉じてください。ボタンを押すまでは何も起こりません。',
  confirmSubmit: 'ログインを続ける',

  relayTitle: 'もう一方のブラウザーでログインを完了してください',
  relayBody: '{appName} へのログインを申し込んだブラウザーで、次のコードを入力してください：',
  relayWarning:
    'このブラウザーはログアウトしたままです。ログインを申し込んだ覚えがない場合は、このページを閉じ、コードを誰にも教えないでください。{appName} が電話、チャット、メールでコードを尋ねることはありません。',
  relayHere: 'この端末でログインしたい場合は、{link}。',
  relayHereLink: 'こちらでリンクを申し込んでください',

  deniedTitle: '同じブラウザーでリンクを開いてください',
  deniedHeading: '申し込みに使ったブラウザーでリンクを開いてください',
  deniedBody:
    'セキュリティのため、{appName} はこのリンクを申し込んだブラウザーでのみ受け付けます。',
  deniedCode: 'そのブラウザーで、メールに記載された 6 桁のコードを入力することもできます。',
  deniedAgain: 'このブラウザーで新しいリンクを申し込む',

  expiredTitle: 'このリンクは期限切れです',
  expiredHeading: 'このリンクは期限切れか、すでに使用されています',
  expiredBody: 'ログイン用リンクは一度だけ、短い時間しか使えません。',
  expiredResend: '新しいリンクをメールで受け取る',
  expiredAgain: '新しいリンクを申し込む',

  errorTitleRetry: 'もう一度お試しください',
  errorTitleSlowDown: 'しばらくお待ちください',
  errorTitleProblem: 'ログインできませんでした',
  errorBack: 'ログイン画面に戻る',

  errBadRequest: 'リクエストを処理できませんでした。',
  errBadEmail: '有効なメールアドレスを入力してください。',
  errBodyTooLarge: 'リクエストが大きすぎます。',
  errCrossSite: '別のサイトからのリクエストのため、拒否しました。',
  errStateInvalid: 'このログイン用リンクは無効です。',
  errExpired: 'このログイン用リンクは期限切れか、すでに使用されています。',
  errCodeInvalid: 'コードが正しくないか、有効期限が切れています。',
  errCodeLocked:
    '誤ったコードの入力が多すぎます。メールのリンクを使うか、新しいコードを申し込んでください。',
  errCrossDeviceDenied: 'リンクを申し込んだブラウザーで開いてください。',
  errSignInRefused: 'このアカウントではログインできません。',
  errRateLimited: 'リクエストが多すぎます。少し待ってからもう一度お試しください。',
  errProviderUnavailable:
    'ログインサービスに接続できませんでした。しばらくしてからもう一度お試しください。',
  errMailFailed: 'メールを送信できませんでした。しばらくしてからもう一度お試しください。',
  errTryAgain: '現在ログインできません。しばらくしてからもう一度お試しください。',
  errNotFound: 'ページが見つかりません。',
  errHumanCheckFailed: 'ロボットでないことの確認を完了してから、もう一度お試しください。',
  errHumanCheckUnavailable:
    'ロボットでないことを確認できませんでした。しばらくしてからもう一度お試しください。',

  emailSubject: '{appName} へのログイン',
  emailButton: '{appName} にログイン',
  emailIntroText:
    '{appName} にログインするには、このリンクを開いてください。有効期限は {expiresIn} で、一度だけ使えます。',
  emailIntroHtml:
    '{appName} にログインするには、下のボタンを押してください。有効期限は {expiresIn} で、一度だけ使えます。',
  emailOrOpen: 'または次のリンクを開いてください：',
  emailOrCode:
    'またはログインを申し込んだブラウザーで、ログイン画面に次のコードを入力してください：',
  emailCodeLabel: 'ログインコード：{code}',
  emailIgnore: 'ログインを申し込んだ覚えがない場合は、このメールを無視してください。',
  emailSentTo: 'このメールは {email} 宛てに送信されました。',
  expiresLessThanMinute: '1 分未満',
  // Passkeys
  errPasskeyInvalid:
    'このパスキーは使用できませんでした。もう一度お試しいただくか、メールでサインインしてください。',
  errUnauthenticated: '続けるにはサインインしてください。',
  errReauthenticationRequired: '続けるには本人確認をしてください。',
  passkeySignIn: 'パスキーでサインイン',
  passkeyOfferTitle: '次回はもっと速くサインイン',
  passkeyOfferBody:
    'パスキーを追加すると、次回からメールを待たずに、指紋・顔・画面ロックで {appName} にサインインできます。',
  passkeyOfferAdd: 'パスキーを追加',
  passkeyOfferSkip: '今はしない',
  passkeyNeedsScript:
    'パスキーには JavaScript が必要です。メールでのサインインはいつでも使えます。',
  passkeyManageTitle: 'パスキー',
  passkeyManageEmpty: 'パスキーはまだありません。',
  passkeyManageAdd: 'パスキーを追加',
  passkeyCreated: '{date} に追加',
  passkeyLastUsed: '最終使用 {date}',
  passkeyNeverUsed: '未使用',
  passkeyNameLabel: '名前',
  passkeyRename: '名前を変更',
  passkeyRemove: '削除',
  reauthTitle: '本人確認',
  reauthBody: '安全のため、続ける前に本人であることを確認してください。',
  reauthPasskey: 'パスキーを使う',
  reauthEmail: '{email} にコードを送信',
};
