"""Files gradviz ships: session presets, lessons (a session and a text each) and the app icon.

Installed as the package ``gradviz.resources``; read them through ``gradviz.resource_paths``.
"""
