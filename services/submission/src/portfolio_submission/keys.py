"""Print a new key pair for sealed personal data: ``python -m portfolio_submission.keys``.

The private half is ``PORTFOLIO_SUBMISSION_PRIVATE_KEY`` (a secret of the submission service only),
the public half ``PORTFOLIO_RECORDS_SUBMISSION_PUBLIC_KEY`` (records seals with it).
"""

from portfolio_shared.sealing import generate_keypair


def main() -> None:
    private, public = generate_keypair()
    print(f"PORTFOLIO_SUBMISSION_PRIVATE_KEY={private}")
    print(f"PORTFOLIO_RECORDS_SUBMISSION_PUBLIC_KEY={public}")


if __name__ == "__main__":
    main()
