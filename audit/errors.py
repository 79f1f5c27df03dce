from core.errors import NotFound, Unprocessable


class EntryNotFound(NotFound):
    title = "Audit entry not found"


class CheckpointNotFound(NotFound):
    title = "Checkpoint not found"


class ProofUnavailable(Unprocessable):
    title = "Proof not available"
