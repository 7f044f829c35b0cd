//! Every request body the API reads, made readable by `http::extract::Json`.

// Every request body the API reads. Each derives `eserde::Deserialize` and
// refuses unknown fields; acts (tagged by `kind`) read themselves.
crate::bodies!(
    crate::services::sessions::SignupRequest,
    crate::services::sessions::LoginRequest,
    crate::services::sessions::RefreshRequest,
    crate::services::passwords::PasswordChange,
    crate::services::password_resets::PasswordResetRequest,
    crate::services::email_confirmations::ConfirmationRequest,
    crate::services::organization::NewMember,
    crate::services::organization::NewApiKey,
    crate::services::staff::NewStaff,
    crate::services::verification::VerifyRequest,
    crate::services::verification::RefuseRequest,
    crate::services::applications::NewApplication,
    crate::services::applications::ApplicationPatch,
    crate::services::applications::SubmitRequest,
    crate::services::applications::WithdrawRequest,
    crate::services::objections::NewObjection,
    crate::services::objections::ResponseRequest,
    crate::services::objections::DecisionRequest,
    crate::services::review::SupplementRequest,
    crate::services::review::RejectRequest,
    crate::services::review::ApproveRequest,
    crate::services::acts::RejectAct,
    crate::services::acts::Revocation,
    crate::services::refiling::NewRefileException,
    crate::services::notifications::LanguageUpdate,
    crate::services::notifications::NotificationPreferences,
    crate::services::webhooks::NewWebhook,
    crate::services::watches::NewWatch,
);
