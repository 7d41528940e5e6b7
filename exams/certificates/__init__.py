"""Certificates: issuance, the PDF, the public verification and the signed credential."""
