from hkipo.cli import main

main()
