//! Every request body the API reads, made readable by `http::extract::Json`.

// Every request body the API reads. Each derives `eserde::Deserialize` and
// refuses unknown fields; acts (tagged by `kind`) read themselves.
crate::bodies!(
    crate::services::accounts::sessions::SignupRequest,
    crate::services::accounts::sessions::LoginRequest,
    crate::services::accounts::sessions::RefreshRequest,
    crate::services::accounts::passwords::PasswordChange,
    crate::services::accounts::password_resets::PasswordResetRequest,
    crate::services::accounts::email_confirmations::ConfirmationRequest,
    crate::services::accounts::organization::NewMember,
    crate::services::accounts::organization::NewApiKey,
    crate::services::accounts::staff::NewStaff,
    crate::services::accounts::verification::VerifyRequest,
    crate::services::accounts::verification::RefuseRequest,
    crate::services::registration::applications::NewApplication,
    crate::services::registration::applications::ApplicationPatch,
    crate::services::registration::applications::SubmitRequest,
    crate::services::registration::applications::WithdrawRequest,
    crate::services::objections::NewObjection,
    crate::services::objections::ResponseRequest,
    crate::services::objections::DecisionRequest,
    crate::services::registration::review::SupplementRequest,
    crate::services::registration::review::RejectRequest,
    crate::services::registration::review::ApproveRequest,
    crate::services::certificates::acts::RejectAct,
    crate::services::certificates::acts::Revocation,
    crate::services::registration::refiling::NewRefileException,
    crate::services::notifications::LanguageUpdate,
    crate::services::notifications::NotificationPreferences,
    crate::services::notifications::webhooks::NewWebhook,
    crate::services::notifications::watches::NewWatch,
);
