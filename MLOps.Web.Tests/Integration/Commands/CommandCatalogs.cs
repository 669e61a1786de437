namespace MLOps.Web.Tests.Integration.Commands;

/// <summary>
/// A constructed catalog for the bench verbs' tests: three films about pirates (one of them Family, one
/// that says "buccaneers" and not the word), and everyday films about clerks, accountants and offices.
/// </summary>
internal static class CommandCatalogs
{
    public static readonly string[] PiratesAndClerks =
    [
        """{"id":"1","title":"Tax Season","overview":"An accountant audits a firm's ledgers during tax season.","genres":["Drama"]}""",
        """{"id":"2","title":"Salt and Steel","overview":"Pirates board a merchant ship and hunt for buried treasure.","genres":["Adventure"]}""",
        """{"id":"3","title":"The Quiet Office","overview":"Two clerks compete for a promotion in an insurance office.","genres":["Comedy"]}""",
        """{"id":"4","title":"Jolly Roger Kids","overview":"Children sail with a crew of friendly pirates looking for a lost island.","genres":["Family","Adventure"]}""",
        """{"id":"5","title":"Spreadsheets","overview":"A bookkeeper discovers an error in the quarterly report.","genres":["Drama"]}""",
        """{"id":"6","title":"Buccaneer Queen","overview":"A captain of cutthroat buccaneers raids galleons on the high seas.","genres":["Action"]}""",
        """{"id":"7","title":"Garden Club","overview":"Retired neighbours enter a flower show.","genres":["Family","Comedy"]}""",
        """{"id":"8","title":"Parking Permit","overview":"A man argues with the city about a parking permit.","genres":["Comedy"]}""",
        """{"id":"9","title":"Commuter Line","overview":"A train conductor keeps his timetable through a snowy week.","genres":["Drama"]}""",
        """{"id":"10","title":"Library Hours","overview":"A librarian organises the catalogue of a small town library.","genres":["Family"]}""",
        """{"id":"11","title":"Form 27B","overview":"A civil servant files a form in triplicate.","genres":["Comedy"]}""",
        """{"id":"12","title":"The Plumber","overview":"A plumber fixes a leaking pipe in an apartment block.","genres":["Drama"]}""",
    ];
}
