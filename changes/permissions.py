from core.identity.permissions import declare

READ = declare("changes:read", "Read changes, their history, votes, rollbacks and the templates")
WRITE = declare(
    "changes:write",
    "Raise and run changes: edit, submit, assess risk, schedule, implement, record rollbacks",
)
APPROVE = declare("changes:approve", "Approve or reject changes as a member of the CAB")
CONFIGURE = declare(
    "changes:configure",
    "Set up standard change templates, approval rules and the risk questionnaire",
)
RELEASE = declare(
    "changes:release",
    "Plan releases and record their deployments and rollbacks in development, test, "
    "acceptance and production",
)
SIGN_OFF = declare(
    "changes:sign-off", "Accept a release version for production on behalf of the client"
)
