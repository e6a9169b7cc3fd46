"""Change alerts: subscriptions to the digest and their delivery by e-mail (SMTP) or webhook.

Sits above the digest and below the surfaces. `subscriptions` manages who gets what,
`message` composes the e-mail and the webhook body from the digest's own sentences, `send`
delivers once per subscription and load batch (idempotent), nothing when nothing changed.
"""
