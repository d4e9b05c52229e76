from hkipo.app.cli import main

main()
