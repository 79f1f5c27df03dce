"""The DAP (Dossier Afspraken en Procedures): a tenant's operational agreements, versioned."""
