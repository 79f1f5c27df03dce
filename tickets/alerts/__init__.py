"""Alert intake from monitoring: Alertmanager webhooks and a generic JSON event fold into
incidents, one open incident per (tenant, fingerprint).

The sender is a service account: a Regie API key holding `alerts:ingest`
(`regie apikey create --tenant <slug> --name monitoring --permission alerts:ingest`). The
key decides the tenant: alerts are stored under the key's tenant and nowhere else. Labels
route an alert within that tenant (service, priority, group) but never to another tenant,
because a request's session is bound to one tenant and row-level security holds it there;
monitoring that serves several clients posts with one key per client.
"""
