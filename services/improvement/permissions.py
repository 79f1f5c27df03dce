from core.identity.permissions import declare

READ = declare("improvements:read", "Read the improvement register, its backlog and history")
PROPOSE = declare("improvements:propose", "Propose improvements and withdraw them")
PRIORITISE = declare("improvements:prioritise", "Order the improvement backlog")
DECIDE = declare(
    "improvements:decide", "Accept or reject proposed improvements and evaluate realised ones"
)
WORK = declare("improvements:work", "Plan and realise improvements and record their progress")
