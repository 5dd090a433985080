from bulle.cli import main

main()
