from conformite.cli import main

main()
