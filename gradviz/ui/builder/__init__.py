"""The network builder: layer table, undoable edits, schematic."""
