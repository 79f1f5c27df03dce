"""A tenant's exit: export everything it owns, import it elsewhere, delete it with a certificate.

The table list comes from the metadata (every table with a `tenant_id` column), so a table
added later is exported, imported and deleted without anyone remembering to list it.
"""
