"""``python -m testkit.sheets --out DIR --count 200 --seed 1 [--classes a,b]``"""

from testkit.sheets.writing import main

main()
