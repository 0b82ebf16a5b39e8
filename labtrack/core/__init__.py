"""The pure rules of labtrack: no I/O, no Flask, no database (an import-linter contract and a test
keep it so). Services apply them to stored rows; they are unit-tested on plain values.

- ``ids``: accession IDs, their shapes and check characters
- ``scanning``: what a barcode scanner typed (keyboard layouts), read back as an ID
- ``kits``: STR kits and their loci
- ``lifecycle``: the sample state machine (transition table plus guards)
- ``custody_rules``: whether a custody action may be applied to an item where it stands
- ``review_rules``: per-locus evidence, anthropology checks, review status
- ``errors``: the domain errors services raise and the edges turn into 4xx answers
- ``inquiry_codes``: the families' inquiry codes (alphabet, check characters, reading what was
  typed on any keyboard, hashing the secret)
- ``contact_details``: phone numbers and names typed by families, checked and tidied
"""
