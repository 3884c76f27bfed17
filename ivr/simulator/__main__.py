from ivr.simulator.cli import main

main()
